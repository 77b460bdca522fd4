"""Route facts and route linking: path parameters, full paths through prefixes and mounts, access.

These are the facts other families (KL302) build on, so their shape is tested directly.
"""

from __future__ import annotations

from pathlib import Path

from keylint.catalog import load_catalog
from keylint.config import load_config
from keylint.discover import discover
from keylint.engine import ScanOptions, _extract_all
from keylint.extract.routes.facts import PathParam, RouteFacts, parse_path_params
from keylint.link import Project
from keylint.link.routes import RouteProject, join_path
from conftest import FIXTURES


def _linked(root: Path) -> RouteProject:
    config = load_config(root)
    catalog = load_catalog()
    facts, _, _ = _extract_all(config, catalog, discover(config).files, ScanOptions(jobs=1))
    return RouteProject(Project(facts), catalog)


def _by_path(rp: RouteProject) -> dict[str, tuple[str, str]]:
    return {r.full_path: (r.access.state, ",".join(r.methods)) for r in rp.routes()}


def test_path_parameters_of_every_framework() -> None:
    assert parse_path_params("/users/<int:user_id>/posts/<slug>") == (PathParam("user_id", "int"), PathParam("slug", ""))
    assert parse_path_params("/items/{item_id}/{rest:path}") == (PathParam("item_id", ""), PathParam("rest", "path"))
    assert parse_path_params(r"/students/{id:\d+}") == (PathParam("id", r"\d+"),)
    assert parse_path_params(r"^orders/(?P<pk>\d+)/$") == (PathParam("pk", r"\d+"),)
    assert parse_path_params("/static") == ()


def test_join_path_normalizes_slashes_and_regex_anchors() -> None:
    assert join_path("/api", "/v1/", "users") == "/api/v1/users"
    assert join_path("api/", "^token/$") == "/api/token/"
    assert join_path(None, "", "/x") == "/x"
    assert join_path() == "/"


def test_fastapi_prefixes_from_router_and_include_across_modules(project) -> None:
    root = project(
        {
            "svc/__init__.py": "",
            "svc/api/__init__.py": "",
            "svc/api/items.py": (
                "from fastapi import APIRouter\n"
                "router = APIRouter(prefix='/items')\n"
                "@router.get('/{item_id}')\n"
                "def read(item_id: int):\n    return {}\n"
            ),
            "svc/main.py": (
                "from fastapi import FastAPI\nfrom svc.api import items\n"
                "app = FastAPI()\napp.include_router(items.router, prefix='/api/v1')\n"
            ),
        }
    )
    rp = _linked(root)
    (route,) = rp.routes()
    assert route.full_path == "/api/v1/items/{item_id}"
    assert route.path_params == (PathParam("item_id", ""),)
    assert route.framework == "fastapi" and route.methods == ("GET",)
    assert [e.function for e in route.handlers] == ["read"]
    assert [w[0] for w in route.chain] == ["svc/main.py"]  # mounted there
    facts = rp.facts["svc/api/items.py"]
    assert isinstance(facts, RouteFacts)
    (param,) = facts.functions["read"].params
    assert (param.name, param.annotation) == ("item_id", "int")


def test_flask_blueprint_prefix_and_before_request_guard(project) -> None:
    root = project(
        {
            "web/__init__.py": (
                "from flask import Flask\nfrom web.admin import bp as admin_bp\nfrom web.public import bp\n"
                "def create_app():\n    app = Flask(__name__)\n"
                "    app.register_blueprint(admin_bp, url_prefix='/admin')\n    app.register_blueprint(bp)\n    return app\n"
            ),
            "web/admin.py": (
                "from flask import Blueprint, abort, session\nbp = Blueprint('admin', __name__)\n"
                "@bp.before_request\ndef guard():\n    if 'user_id' not in session:\n        abort(401)\n"
                "@bp.route('/users/<int:uid>', methods=['DELETE'])\ndef delete(uid):\n    return ''\n"
            ),
            "web/public.py": (
                "from flask import Blueprint\nbp = Blueprint('public', __name__, url_prefix='/pub')\n"
                "@bp.route('/ping')\ndef ping():\n    return 'pong'\n"
            ),
        }
    )
    routes = _by_path(_linked(root))
    assert routes == {"/admin/users/<int:uid>": ("authenticated", "DELETE"), "/pub/ping": ("public", "GET")}


def test_django_include_and_drf_settings_default(project) -> None:
    root = project(
        {
            "proj/__init__.py": "",
            "proj/settings.py": "REST_FRAMEWORK = {'DEFAULT_PERMISSION_CLASSES': ['rest_framework.permissions.IsAuthenticated']}\n",
            "proj/urls.py": "from django.urls import include, path\nurlpatterns = [path('api/', include('shop.urls'))]\n",
            "shop/__init__.py": "",
            "shop/views.py": (
                "from rest_framework.views import APIView\nfrom rest_framework.permissions import AllowAny\n"
                "class Orders(APIView):\n    def get(self, request, pk):\n        return None\n"
                "class Health(APIView):\n    permission_classes = [AllowAny]\n    def get(self, request):\n        return None\n"
            ),
            "shop/urls.py": (
                "from django.urls import path\nfrom shop import views\n"
                "urlpatterns = [path('orders/<int:pk>/', views.Orders.as_view()), path('health/', views.Health.as_view())]\n"
            ),
        }
    )
    routes = _by_path(_linked(root))
    assert routes == {"/api/orders/<int:pk>/": ("authenticated", "GET"), "/api/health/": ("public", "GET")}


def test_fastapi_router_subclasses_class_views_and_mounted_root_path() -> None:
    """An `APIRouter` subclass whose constructor adds a dependency, a class-based view whose class
    attribute is a dependency, and a sub-app whose `root_path` repeats the prefix it is mounted at."""
    routes = _by_path(_linked(FIXTURES / "kl2-fastapi"))
    assert routes["/account/delegate/{user_id}"] == ("authenticated", "POST")
    assert routes["/exports/{user_id}"] == ("authenticated", "POST")
    assert routes["/exports/preview/{user_id}"] == ("public", "GET")
    assert routes["/partner/token/{user_id}"] == ("public", "POST")
    assert not any(p.startswith("/partner/partner") for p in routes)


def test_django_login_middleware_named_through_a_list_and_its_exempt_urls() -> None:
    """`MIDDLEWARE = BASE_MIDDLEWARE` with a project LoginRequiredMiddleware: every Django view needs a
    signed-in user except those LOGIN_EXEMPT_URLS matches (f-string fields are left out)."""
    routes = _by_path(_linked(FIXTURES / "kl2-django-middleware"))
    assert routes == {
        "/support/token/<int:user_id>/": ("authenticated", ""),
        "/support/pair/(?P<user_id>\\d+)/": ("public", ""),
        "/kiosk/token/": ("public", ""),
    }

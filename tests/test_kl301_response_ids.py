"""KL301 on projects made on the fly: what ties a response field to a sequential primary key."""

from __future__ import annotations

from conftest import scan_project


def _kl301(root) -> set[tuple[str, int]]:
    return {(f.location.path, f.location.span.line) for f in scan_project(root, select=["KL301"]).findings}


def test_django_default_user_model_has_a_sequential_id(project) -> None:
    root = project(
        {
            "api/serializers.py": (
                "from django.contrib.auth.models import User\n"
                "from rest_framework import serializers\n"
                "class UserSerializer(serializers.ModelSerializer):\n"
                "    class Meta:\n"
                "        model = User\n"
                "        fields = ('id', 'username')\n"
            ),
        }
    )
    assert _kl301(root) == {("api/serializers.py", 6)}


def test_a_non_auto_default_auto_field_silences_implicit_ids(project) -> None:
    root = project(
        {
            "settings.py": 'DEFAULT_AUTO_FIELD = "myproject.fields.SnowflakeField"\n',
            "shop/models.py": "from django.db import models\nclass Order(models.Model):\n    total = models.IntegerField()\n",
            "shop/serializers.py": (
                "from rest_framework import serializers\n"
                "from shop.models import Order\n"
                "class OrderSerializer(serializers.ModelSerializer):\n"
                "    class Meta:\n"
                "        model = Order\n"
                "        fields = '__all__'\n"
            ),
        }
    )
    assert _kl301(root) == set()


def test_a_bare_int_id_without_a_model_is_silent(project) -> None:
    root = project(
        {
            "app.py": (
                "from fastapi import FastAPI\n"
                "from pydantic import BaseModel\n"
                "app = FastAPI()\n"
                "class Job(BaseModel):\n"
                "    id: int\n"
                "@app.get('/jobs', response_model=list[Job])\n"
                "def jobs():\n"
                "    return []\n"
            ),
        }
    )
    assert _kl301(root) == set()


def test_composite_primary_keys_do_not_autoincrement(project) -> None:
    root = project(
        {
            "models.py": (
                "from sqlalchemy import Column, Integer\n"
                "from sqlalchemy.orm import declarative_base\n"
                "Base = declarative_base()\n"
                "class Membership(Base):\n"
                "    __tablename__ = 'memberships'\n"
                "    id = Column(Integer, primary_key=True)\n"
                "    group_id = Column(Integer, primary_key=True)\n"
                "    def to_dict(self):\n"
                "        return {'id': self.id}\n"
                "class Group(Base):\n"
                "    __tablename__ = 'groups'\n"
                "    id = Column(Integer, primary_key=True)\n"
                "    def to_dict(self):\n"
                "        return {'id': self.id}\n"
            ),
        }
    )
    assert _kl301(root) == {("models.py", 14)}


def test_a_schema_reaches_its_model_through_a_package_re_export(project) -> None:
    root = project(
        {
            "app/__init__.py": "",
            "app/db/__init__.py": "from app.db.models import Account\n",
            "app/db/models.py": (
                "from flask_sqlalchemy import SQLAlchemy\n"
                "db = SQLAlchemy()\n"
                "class Account(db.Model):\n"
                "    id = db.Column(db.BigInteger, primary_key=True)\n"
            ),
            "app/api.py": (
                "from fastapi import APIRouter\n"
                "from pydantic import BaseModel\n"
                "from app.db import Account\n"
                "router = APIRouter()\n"
                "class AccountResponse(BaseModel):\n"
                "    id: int\n"
                "@router.get('/account')\n"
                "def account() -> AccountResponse:\n"
                "    raise NotImplementedError\n"
            ),
        }
    )
    assert _kl301(root) == {("app/api.py", 6)}


def _severities(root) -> dict[tuple[str, int], str]:
    return {(f.location.path, f.location.span.line): f.severity.value for f in scan_project(root, select=["KL301"]).findings}


SHOP = {
    "shop/__init__.py": "",
    "shop/models.py": (
        "from django.db import models\n"
        "class Order(models.Model):\n"
        "    total = models.IntegerField()\n"
        "class Coupon(models.Model):\n"
        "    code = models.CharField(max_length=8)\n"
    ),
    "shop/serializers.py": (
        "from rest_framework import serializers\n"
        "from shop.models import Coupon, Order\n"
        "class OrderSerializer(serializers.ModelSerializer):\n"
        "    class Meta:\n"
        "        model = Order\n"
        "        fields = ['id', 'total']\n"
        "class CouponSerializer(serializers.ModelSerializer):\n"
        "    class Meta:\n"
        "        model = Coupon\n"
        "        fields = ['id', 'code']\n"
    ),
    "shop/views.py": (
        "from rest_framework import generics\n"
        "from rest_framework.permissions import AllowAny, IsAuthenticated\n"
        "from shop.models import Coupon, Order\n"
        "from shop.serializers import CouponSerializer, OrderSerializer\n"
        "class Orders(generics.ListAPIView):\n"
        "    queryset = Order.objects.all()\n"
        "    serializer_class = OrderSerializer\n"
        "    permission_classes = [IsAuthenticated]\n"
        "class Coupons(generics.ListAPIView):\n"
        "    queryset = Coupon.objects.all()\n"
        "    serializer_class = CouponSerializer\n"
        "    permission_classes = [AllowAny]\n"
    ),
    "shop/urls.py": (
        "from django.urls import path\n"
        "from shop import views\n"
        "urlpatterns = [path('orders/', views.Orders.as_view()), path('coupons/', views.Coupons.as_view())]\n"
    ),
}


def test_ids_only_authenticated_callers_read_are_low_and_public_ones_medium(project) -> None:
    assert _severities(project(SHOP)) == {("shop/serializers.py", 6): "low", ("shop/serializers.py", 10): "medium"}


def test_a_response_model_inherits_the_access_of_the_routes_that_return_it(project) -> None:
    root = project(
        {
            "app/__init__.py": "",
            "app/models.py": (
                "from sqlalchemy import Column, Integer, String\n"
                "from sqlalchemy.orm import declarative_base\n"
                "Base = declarative_base()\n"
                "class Item(Base):\n"
                "    __tablename__ = 'items'\n"
                "    id = Column(Integer, primary_key=True)\n"
                "class Owner(Base):\n"
                "    __tablename__ = 'owners'\n"
                "    id = Column(Integer, primary_key=True)\n"
            ),
            "app/api.py": (
                "from fastapi import APIRouter, Depends\n"
                "from pydantic import BaseModel\n"
                "from app.deps import current_user\n"
                "router = APIRouter()\n"
                "class OwnerOut(BaseModel):\n"
                "    id: int\n"
                "class ItemOut(BaseModel):\n"
                "    id: int\n"
                "    owner: OwnerOut\n"
                "@router.get('/items', response_model=list[ItemOut])\n"
                "def items():\n"
                "    return []\n"
                "@router.get('/me', response_model=OwnerOut)\n"
                "def me(user=Depends(current_user)):\n"
                "    return user\n"
            ),
            "app/deps.py": (
                "from fastapi import Header, HTTPException\n"
                "def current_user(authorization: str = Header()):\n"
                "    if not authorization:\n"
                "        raise HTTPException(401)\n"
                "    return authorization\n"
            ),
        }
    )
    # OwnerOut is nested in the public /items response as well as returned by the authenticated /me
    assert _severities(root) == {("app/api.py", 6): "medium", ("app/api.py", 8): "medium"}

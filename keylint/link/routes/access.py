"""Route access: what protects a route (decorators, dependencies, permission classes, mixins,
`before_request` hooks, the DRF defaults, Django's login middleware), as an `Access` with evidence."""

from __future__ import annotations

import re

from keylint.catalog import split_words
from keylint.extract.routes.facts import ClassInfo, Param, Route
from keylint.link.routes.linked import Access, Handler, Node
from keylint.link.routes.topology import _MAX_CHAIN, RouteTopology

_ROLE_WORDS = frozenset({"admin", "superuser", "staff", "role", "roles", "permission", "permissions", "scope", "scopes", "owner"})
_AUTH_WORDS = frozenset({"auth", "authenticated", "authenticate", "token", "jwt", "login", "current", "verify", "verified", "session", "bearer", "apikey", "principal"})


def _words(name: str) -> frozenset[str]:
    return frozenset(split_words(name))


def _compiled(patterns: tuple[str, ...]) -> list[re.Pattern[str]]:
    out = []
    for p in patterns:
        try:
            out.append(re.compile(p))
        except re.error:
            continue  # not a regex we can read: it exempts nothing we can show
    return out


_PATH_PARAM = re.compile(r"\(\?P<\w+>[^)]*\)|<(?:(\w+):)?\w+>|\{\w+(?::[^{}]*)?\}")


def _sample_path(full_path: str) -> str:
    """A URL the route serves, as the middleware sees it (no leading slash, a value in each parameter)."""
    def value(m: re.Match[str]) -> str:
        return "a" if m.group(1) in ("str", "slug", "path") else "1"

    return _PATH_PARAM.sub(value, full_path).lstrip("^/").rstrip("$")


def _strongest(found: list[Access]) -> Access | None:
    """Explicit public markers (AllowAny) lose to any real protection found elsewhere; a role check
    is the strongest protection."""
    protected = [a for a in found if a.state != "public"]
    if protected:
        return next((a for a in protected if a.state == "role"), protected[0])
    return found[0] if found else None


class RouteAccess:
    def __init__(self, topology: RouteTopology) -> None:
        self.topology = topology
        self.facts = topology.facts
        self.rc = topology.rc
        self.drf_default = self._drf_default_access()
        self.login_middleware = any(
            "LoginRequiredMiddleware" in m for rf in self.facts.values() for m in rf.settings.get("MIDDLEWARE", ())
        )
        self.login_exempt = [p for rf in self.facts.values() for p in _compiled(rf.settings.get("LOGIN_EXEMPT_URLS", ()))]

    def _drf_default_access(self) -> Access:
        perms = [p for rf in self.facts.values() for p in rf.settings.get("DEFAULT_PERMISSION_CLASSES", ())]
        auth_set = [rf.settings["DEFAULT_AUTHENTICATION_CLASSES"] for rf in self.facts.values() if "DEFAULT_AUTHENTICATION_CLASSES" in rf.settings]
        if any(a == () for a in auth_set):
            return Access("public", "REST_FRAMEWORK sets no DEFAULT_AUTHENTICATION_CLASSES")
        if not perms:
            return Access("public", "DRF's default permission (AllowAny): REST_FRAMEWORK sets no DEFAULT_PERMISSION_CLASSES")
        return self._permissions(perms, "REST_FRAMEWORK DEFAULT_PERMISSION_CLASSES")

    def _permissions(self, perms: tuple[str, ...] | list[str], where: str) -> Access:
        if not perms:
            return Access("public", f"{where} is empty")
        names = [p.rpartition(".")[2] for p in perms]
        entries = [self.rc.permissions.get(n, {}) for n in names]
        if all(e.get("public") for e in entries):
            return Access("public", f"{where} = [{', '.join(names)}]")
        if any(e.get("role") for e in entries):
            return Access("role", f"{where} = [{', '.join(names)}]")
        return Access("authenticated", f"{where} = [{', '.join(names)}]")

    def decorator_access(self, path: str, name: str, keywords: tuple[tuple[str, tuple[str, ...]], ...], args: tuple[str, ...]) -> Access | None:
        last = name.rpartition(".")[2]
        permission_classes = dict(keywords).get("permission_classes")
        if permission_classes:  # `@strawberry.mutation(permission_classes=[IsAuthenticated])`
            return self._permissions(permission_classes, f"@{last}(permission_classes=...)")
        for entry in self.rc.auth_decorators:
            if entry.get("call") == name or entry.get("name") == last:
                if entry.get("permission_list"):
                    return self._permissions(args, "@permission_classes")
                optional = entry.get("optional_keyword")
                if optional is not None and dict(keywords).get(optional) == ("True",):
                    return None
                return Access("role" if entry.get("role") else "authenticated", f"@{last}")
        found = self.topology.function(path, name)
        if found is not None:
            verdict = self.guard(found[0], found[1].qualname, nested=True)
            if verdict is not None:
                return Access(verdict, f"@{last}")
        return None

    def guard(self, path: str, qual: str, nested: bool = False, depth: int = 0) -> str | None:
        """"authenticated"/"role" when this function (and, for decorators, its inner functions) reads
        a credential or the authentication state and can reject the request; else None."""
        rf = self.facts.get(path)
        if rf is None or depth > _MAX_CHAIN:
            return None
        infos = [i for q, i in rf.functions.items() if q == qual or (nested and q.startswith(qual + "."))]
        reads = rejects = role = False
        for info in infos:
            # reading `current_user.is_authenticated` is not enough: `if user.is_authenticated: redirect(home)`
            # on a login page turns signed-in users away; a guard turns anonymous ones away
            markers = [m for m in info.auth_markers if m not in ("is_authenticated", "current_user", "get_jwt_identity")]
            reads = reads or bool(markers or info.checks or info.requires_login)
            rejects = rejects or info.rejects
            role = role or bool(info.roles)
            for d in info.decorators:  # `@api.before_request` + `@auth.login_required`
                a = self.decorator_access(path, d.name, d.keywords, d.args) if d.name != qual else None
                if a is not None and a.state != "public":
                    reads = rejects = True
                    role = role or a.state == "role"
            for param in info.params:
                dependency = self.param_dependency(path, param)
                if dependency is not None:
                    dep = self.dependency_access(dependency[0], dependency[1], depth + 1)
                    if dep is not None:
                        reads = rejects = True
                        role = role or dep == "role"
        if reads and rejects:
            return "role" if role or _words(qual) & _ROLE_WORDS else "authenticated"
        return None

    def param_dependency(self, path: str, p: Param) -> tuple[str, str] | None:
        """(file, name) of the FastAPI dependency a parameter declares, directly or through an
        `Annotated` alias defined in another module (`user: CurrentUser`)."""
        if p.dependency:
            return path, p.dependency
        if not p.annotation:
            return None
        found = self.topology.follow(path, p.annotation, lambda q, n: (q, self.facts[q].aliases[n].dependency or "") if n in self.facts[q].aliases else None)
        return found if found is not None and found[1] else None

    def dependency_access(self, path: str, dep: str, depth: int = 0) -> str | None:
        if depth > _MAX_CHAIN:
            return None
        if self.is_scheme(path, dep):
            return "authenticated"
        found = self.topology.function(path, dep)
        if found is not None:
            verdict = self.guard(found[0], found[1].qualname, nested=True, depth=depth + 1)
            if verdict is None:  # a factory: `Depends(get_current_user_authorizer())` returns the dependency
                for returned in found[1].returns:
                    verdict = verdict or self.dependency_access(found[0], returned, depth + 1)
            return verdict
        cls = self.topology.klass(path, dep)
        if cls is not None:
            call = self.topology.method(cls[0], cls[1], "__call__")
            if call is not None:
                return self.guard(call[0], call[1].qualname, depth=depth + 1)
            return None
        words = _words(dep.rpartition(".")[2])
        if words & _AUTH_WORDS and "form" not in words:
            return "role" if words & _ROLE_WORDS else "authenticated"  # a library's current-user dependency
        return None

    def is_scheme(self, path: str, name: str) -> bool:
        """`name` is an instance of a FastAPI security scheme (`OAuth2PasswordBearer(...)`)."""
        return self.topology.follow(path, name, lambda p, n: True if n in self.facts[p].scheme_objects else None) is not None

    def _class_access(self, cpath: str, cls: ClassInfo) -> tuple[list[Access], bool]:
        """What a class-based view's own declarations say about access (method decorators,
        permission bases, `permission_classes`, DRF defaults), and whether it is a DRF view."""
        found: list[Access] = []
        bases = self.topology.all_bases(cpath, cls)
        drf = any(b.startswith("rest_framework") for b in bases)
        for p, c in self.topology.class_chain(cpath, cls):
            # Django's `View.dispatch` runs before every handler: a mixin's override that turns
            # anonymous callers away (`if not request.user.is_authenticated: return self.handle_no_permission()`)
            # protects every view built on it
            if f"{c.qualname}.dispatch" in self.facts[p].functions:
                verdict = self.guard(p, f"{c.qualname}.dispatch")
                if verdict is not None:
                    found.append(Access(verdict, f"{c.qualname}.dispatch turns anonymous callers away"))
            for d in c.decorators:
                if d.name.rpartition(".")[2] == "method_decorator":
                    for arg in d.args:
                        a = self.decorator_access(p, arg, (), ())
                        if a is not None:
                            found.append(a)
        for b in bases:
            permission = self.rc.permissions.get(b.rpartition(".")[2])
            if permission is not None and not permission.get("public"):
                found.append(Access("role" if permission.get("role") else "authenticated", b.rpartition(".")[2]))
        for attr in ("decorators", "method_decorators"):
            value = self.topology.class_attr(cpath, cls, attr)
            for name in value[1] if value else ():
                a = self.decorator_access(value[0] if value else cpath, name, (), ())
                if a is not None:
                    found.append(a)
        perms = self.topology.class_attr(cpath, cls, "permission_classes")
        authn = self.topology.class_attr(cpath, cls, "authentication_classes")
        if perms is not None:
            found.append(self._permissions(perms[1], f"{cls.qualname}.permission_classes"))
        elif authn is not None and authn[1] == ():
            found.append(Access("public", f"{cls.qualname}.authentication_classes = []"))
        elif drf:
            found.append(self.drf_default)
        return found, drf

    def view_access(self, cpath: str, cls: ClassInfo) -> Access:
        """The access of a class-based view from its own declarations, for a view no linked URL
        route reaches (registered through a router or helper the linker does not follow)."""
        found, _ = self._class_access(cpath, cls)
        return _strongest(found) or Access("public", f"{cls.qualname} declares no authentication or permission")

    def judge(self, path: str, route: Route, framework: str, full_path: str, handlers: list[Handler],
              class_ref: tuple[str, ClassInfo] | None, deps: list[str], nodes: list[Node]) -> Access:
        found: list[Access] = []
        for dep in deps:
            verdict = self.dependency_access(path, dep)
            if verdict is not None:
                found.append(Access(verdict, f"dependency {dep.rpartition('.')[2]}"))
        for wrapper in route.wrappers:
            a = self.decorator_access(path, wrapper, (), ())
            if a is not None:
                found.append(a)
        for node in nodes:
            for hpath, hqual, _ in self.topology.hooks.get(node, []):
                verdict = self.guard(hpath, hqual)
                if verdict is not None:
                    found.append(Access(verdict, f"before_request hook {hqual}"))
        drf = False
        if class_ref is not None:
            class_found, drf = self._class_access(*class_ref)
            found.extend(class_found)
        for handler in handlers:
            info = self.facts[handler.path].functions.get(handler.function)
            if info is None:
                continue
            owner = self.topology.klass(handler.path, info.cls) if info.cls is not None else None
            for p, c in self.topology.class_chain(*owner) if owner is not None else ():
                for dep in c.dependencies:  # a class-based view: `user: User = Depends(get_current_user)`
                    verdict = self.dependency_access(p, dep)
                    if verdict is not None:
                        found.append(Access(verdict, f"dependency {dep.rpartition('.')[2]} of {c.qualname}"))
            api_view = False
            for d in info.decorators:
                if d.name.rpartition(".")[2] == "api_view":
                    api_view = True
                a = self.decorator_access(handler.path, d.name, d.keywords, d.args)
                if a is not None:
                    found.append(a)
            if api_view and not any(d.name.rpartition(".")[2] == "permission_classes" for d in info.decorators):
                found.append(self.drf_default)
            for param in info.params:
                dependency = self.param_dependency(handler.path, param)
                if dependency is not None:
                    verdict = self.dependency_access(dependency[0], dependency[1])
                    if verdict is not None:
                        found.append(Access(verdict, f"dependency {dependency[1].rpartition('.')[2]}"))
            if info.requires_login and info.rejects:
                found.append(Access("role" if info.roles else "authenticated", "the handler turns anonymous callers away itself"))
        if framework == "django" and self.login_middleware and not drf:
            if any(p.match(_sample_path(full_path)) for p in self.login_exempt):
                found.append(Access("public", "LOGIN_EXEMPT_URLS exempts it from LoginRequiredMiddleware"))
            else:
                found.append(Access("authenticated", "LoginRequiredMiddleware"))
        return _strongest(found) or Access("public", "no authentication decorator, dependency, permission class or hook")

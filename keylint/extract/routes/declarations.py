"""Route declarations: routers, blueprints and apps, the routes hung on them (decorators and
registration calls), mounts and includes with their prefixes, `before_request` hooks, class and
function signatures (parameters, decorators, view attributes), `Annotated` dependency aliases and
the settings that protect routes project-wide. Runs before `keylint.extract.routes.flows` in one walk:
it records each function's `FunctionInfo`, which the flow visitor then fills in."""

from __future__ import annotations

from typing import Any

import libcst as cst

from keylint.extract.pyvisit import FactVisitor, ModuleState, argument, dotted, string_value
from keylint.extract.routes.catalog import last_part, route_catalog
from keylint.extract.routes.facts import (
    ClassInfo, Decorator, FunctionInfo, Hook, Instance, Mount, Param, Route, RouterObject, graphql_route, parse_path_params,
    route_facts,
)

_VIEW_ATTRS = frozenset(
    {"permission_classes", "authentication_classes", "decorators", "method_decorators", "serializer_class", "http_method_names"}
)
_DRF_SETTINGS = ("DEFAULT_PERMISSION_CLASSES", "DEFAULT_AUTHENTICATION_CLASSES")


class RouteDeclarationVisitor(FactVisitor):
    def __init__(self, state: ModuleState) -> None:
        super().__init__(state)
        self.rc = route_catalog(self.catalog)
        self.rf = route_facts(self.facts)
        self.lists: list[tuple[cst.CSTNode, str]] = []  # route lists being built: (node, owner name)
        self.prefix_keywords = frozenset(e["prefix"] for e in self.rc.factories.values() if "prefix" in e)
        self.module_lists: dict[str, tuple[str, ...]] = {}  # middleware lists by name: `MIDDLEWARE = BASE_MIDDLEWARE`
        self.mutation_objects: set[str] = set()  # ariadne mutation types made here: `mutation = MutationType()`

    # ---- names ----
    def qual(self, node: cst.BaseExpression | None) -> str | None:
        return self.qualname(node) if node is not None else None

    def qual_list(self, node: cst.BaseExpression | None) -> tuple[str, ...]:
        """Qualnames (or literal strings) of a name, a list/tuple of them, or a call's callee."""
        if node is None:
            return ()
        if isinstance(node, (cst.List, cst.Tuple, cst.Set)):
            return tuple(q for el in node.elements for q in self.qual_list(el.value))
        if isinstance(node, cst.Call):
            return self.qual_list(node.func)
        s = string_value(node)
        if isinstance(s, str):
            return (s,)
        q = self.qualname(node)
        return (q,) if q is not None else ("<expr>",)

    # ---- functions and classes ----
    def decorator(self, node: cst.Decorator) -> Decorator:
        d = node.decorator
        if isinstance(d, cst.Call):
            args = tuple(q for a in d.args if a.keyword is None for q in self.qual_list(a.value))
            kws = tuple(
                (a.keyword.value, (a.value.value,) if isinstance(a.value, cst.Name) and a.value.value in ("True", "False") else self.qual_list(a.value))
                for a in d.args
                if a.keyword is not None
            )
            return Decorator(self.qualname(d.func) or "<expr>", self.span(node), True, args, kws)
        return Decorator(self.qualname(d) or "<expr>", self.span(node), False)

    def param(self, p: cst.Param, position: int) -> Param:
        annotation: str | None = None
        dependency: str | None = None
        default_call: str | None = None
        if p.annotation is not None:
            ann = p.annotation.annotation
            if isinstance(ann, cst.Subscript) and (self.qualname(ann.value) or "").endswith("Annotated"):
                elements = [e.slice.value for e in ann.slice if isinstance(e.slice, cst.Index)]
                annotation = self.qualname(elements[0]) if elements else None
                for meta in elements[1:]:
                    dependency = self.dependency_of(meta) if dependency is None else dependency
            else:
                annotation = self.qualname(ann)
                if annotation is None and isinstance(ann, cst.Subscript):
                    annotation = self.qualname(ann.value)
            if annotation is not None and annotation in self.rf.aliases:
                alias = self.rf.aliases[annotation]
                annotation, dependency = alias.annotation, dependency or alias.dependency
        if isinstance(p.default, cst.Call):
            default_call = self.qualname(p.default.func)
            dependency = dependency or self.dependency_of(p.default)
        if dependency == "" and annotation is not None:
            dependency = annotation  # `form: OAuth2PasswordRequestForm = Depends()`
        return Param(p.name.value, position, annotation, dependency, default_call)

    def dependency_of(self, node: cst.BaseExpression) -> str | None:
        """`Depends(get_user)` -> its target's qualname; `Depends()` -> ""; else None."""
        if not isinstance(node, cst.Call):
            return None
        q = self.qualname(node.func) or ""
        if last_part(q) not in ("Depends", "Security"):
            return None
        target = argument(node, 0, "dependency")
        if target is None:
            return ""
        if isinstance(target, cst.Call):
            return self.qualname(target.func) or "<expr>"  # Depends(RoleChecker(["admin"]))
        return self.qualname(target) or "<expr>"

    def dependencies_in(self, node: cst.BaseExpression | None) -> tuple[str, ...]:
        if not isinstance(node, (cst.List, cst.Tuple)):
            return ()
        out = []
        for el in node.elements:
            dep = self.dependency_of(el.value)
            if dep:
                out.append(dep)
        return tuple(out)

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        positional = [*node.params.posonly_params, *node.params.params]
        params = [self.param(p, i) for i, p in enumerate(positional)]
        params += [self.param(p, -1) for p in node.params.kwonly_params]
        for star in (node.params.star_arg, node.params.star_kwarg):
            if isinstance(star, cst.Param):
                params.append(Param(star.name.value, -2, None, None, None))
        qual = self.scope  # the opener already pushed this function
        cls = ".".join(n for _, n, _ in self.stack[:-1]) if len(self.stack) >= 2 and self.stack[-2][0] == "class" else None
        decorators = tuple(self.decorator(d) for d in node.decorators)
        self.rf.functions[qual] = FunctionInfo(qual, self.span(node.name), cls, tuple(params), decorators)
        for d, dec in zip(node.decorators, decorators):
            self.route_decorator(d, dec, qual, "function")
            self.mutation_decorator(d, dec, qual)

    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        qual = self.scope
        attrs: list[tuple[str, tuple[str, ...]]] = []
        dependencies: list[str] = []
        for stmt in node.body.body:
            if isinstance(stmt, cst.SimpleStatementLine):
                for small in stmt.body:
                    targets: list[cst.BaseExpression] = []
                    value: cst.BaseExpression | None = None
                    if isinstance(small, cst.Assign):
                        targets, value = [t.target for t in small.targets], small.value
                    elif isinstance(small, cst.AnnAssign) and small.value is not None:
                        targets, value = [small.target], small.value
                    for t in targets:
                        if isinstance(t, cst.Name) and t.value in _VIEW_ATTRS:
                            attrs.append((t.value, self.qual_list(value)))
                    dependency = self.dependency_of(value) if value is not None else None
                    if dependency:
                        dependencies.append(dependency)  # `user: User = Depends(get_current_user)`
        decorators = tuple(self.decorator(d) for d in node.decorators)
        bases = tuple(self.qualname(b.value) or "<expr>" for b in node.bases)
        self.rf.classes[qual] = ClassInfo(qual, self.span(node.name), bases, tuple(attrs), decorators, tuple(dependencies))
        for d, dec in zip(node.decorators, decorators):
            self.route_decorator(d, dec, qual, "class")

    # ---- route declarations ----
    def route_decorator(self, node: cst.Decorator, dec: Decorator, handler: str, kind: str) -> None:
        d = node.decorator
        call = d if isinstance(d, cst.Call) else None
        func = call.func if call is not None else d
        entry: dict[str, Any] | None = None
        owner: str | None = None
        if isinstance(func, cst.Attribute) and func.attr.value in ("before_request", "before_app_request", "middleware"):
            self.rf.hooks.append(Hook(self.qualname(func.value) or "<expr>", handler, self.span(node)))
            return
        if isinstance(func, cst.Attribute) and func.attr.value in self.rc.decorator_methods:
            entry = self.rc.decorator_methods[func.attr.value]
            owner = self.qualname(func.value)
        elif dec.name in self.rc.decorator_calls:
            entry = self.rc.decorator_calls[dec.name]
        if entry is None or call is None:
            return
        path_node = argument(call, 0, "path") or argument(call, None, "rule")
        path = string_value(path_node)
        if not isinstance(path, str):
            return  # `cache.get(key)` and friends: a route decorator names its path
        methods = self.methods(call, entry)
        if not methods and kind == "function" and "methods_keyword" in entry:
            methods = ("GET",)
        deps = self.dependencies_in(argument(call, None, "dependencies"))
        framework = self.framework_of(owner)
        self.rf.routes.append(
            Route(framework, owner, path, parse_path_params(path), methods, handler, kind, self.span(node), True, deps)
        )

    def mutation_decorator(self, node: cst.Decorator, dec: Decorator, handler: str) -> None:
        """`@strawberry.mutation`, ariadne's `@mutation.field("login")`: a resolver of a mutation, a route
        of the GraphQL endpoint (the linker gives it the endpoint's URL). Graphene's `Mutation.mutate`
        is found by the linker, which sees project base classes."""
        d = node.decorator
        func = d.func if isinstance(d, cst.Call) else d
        ariadne = isinstance(func, cst.Attribute) and func.attr.value == "field" and self.qualname(func.value) in self.mutation_objects
        if dec.name in self.rc.mutation_decorators or (ariadne and isinstance(d, cst.Call)):
            self.rf.routes.append(graphql_route(handler, self.span(node), True))

    def methods(self, call: cst.Call, entry: dict[str, Any]) -> tuple[str, ...]:
        if "methods" in entry:
            return tuple(entry["methods"])
        found: list[str] = []
        if "method_position" in entry:
            m = string_value(argument(call, entry["method_position"], "method"))
            if isinstance(m, str):
                found.append(m.upper())
        kw = entry.get("methods_keyword")
        if kw is not None:
            node = argument(call, None, kw)
            if isinstance(node, (cst.List, cst.Tuple, cst.Set)):
                found += [str(v).upper() for el in node.elements if isinstance(v := string_value(el.value), str)]
            elif isinstance(string_value(node), str):
                found.append(str(string_value(node)).upper())
        return tuple(found)

    def framework_of(self, owner: str | None) -> str:
        obj = self.rf.objects.get(owner or "")
        return obj.framework if obj is not None else ""

    def list_owner(self) -> str | None:
        return self.lists[-1][1] if self.lists else None

    def synthetic(self, node: cst.CSTNode) -> str:
        span = self.span(node)
        return f"<list@{span.line}:{span.column}>"

    def handler_of(self, node: cst.BaseExpression | None) -> tuple[str, str, tuple[str, ...]] | None:
        """(qualname, kind, wrappers) of a view expression: `f`, `views.f`, `C.as_view()`, `login_required(f)`."""
        wrappers: list[str] = []
        while isinstance(node, cst.Call):
            func = node.func
            if isinstance(func, cst.Attribute) and func.attr.value == "as_view":
                q = self.qualname(func.value)
                return (q, "class", tuple(wrappers)) if q else None
            if isinstance(func, cst.Call):  # permission_required("x")(view)
                wrappers.append(self.qualname(func.func) or "<expr>")
            else:
                wrappers.append(self.qualname(func) or "<expr>")
            node = argument(node, 0, None)
        if node is None:
            return None
        q = self.qualname(node)
        if q is None:
            return None
        return q, "function", tuple(wrappers)

    def route_call(self, node: cst.Call, q: str | None) -> bool:
        entry: dict[str, Any] | None = None
        owner: str | None = None
        func = node.func
        if q is not None and q in self.rc.call_calls:
            entry = self.rc.call_calls[q]
            owner = self.list_owner()
        elif isinstance(func, cst.Attribute) and func.attr.value in self.rc.call_methods:
            entry = self.rc.call_methods[func.attr.value]
            owner = self.qualname(func.value)
            if owner is not None and owner.endswith(".router"):
                owner = owner[: -len(".router")]  # aiohttp: app.router.add_post
        if entry is None:
            return False
        view = argument(node, entry.get("handler_position"), entry.get("handler_keyword"))
        path = string_value(argument(node, entry.get("path_position"), "route" if entry.get("framework") == "django" else None))
        if not isinstance(path, str):
            return False
        if isinstance(view, cst.Call) and (self.qualname(view.func) or "").endswith("include"):
            self.include(node, view, path, owner)
            return True
        handler = self.handler_of(view)
        if handler is None:
            return False
        framework = entry.get("framework") or self.framework_of(owner)
        if framework == "drf" and "method" in entry and self.framework_of(owner) != "drf":
            return False  # `.register(...)` on something that is not a DRF router
        self.rf.routes.append(
            Route(framework, owner, path, parse_path_params(path), self.methods(node, entry), handler[0], handler[1],
                  self.span(node), False, (), handler[2])
        )
        return True

    def include(self, node: cst.Call, include: cst.Call, prefix: str, owner: str | None) -> None:
        target = argument(include, 0, "arg")
        if isinstance(target, cst.Tuple) and target.elements:
            target = target.elements[0].value
        child: str | None = None
        s = string_value(target)
        if isinstance(s, str):
            child = f"{s}.urlpatterns"
        elif isinstance(target, (cst.List, cst.Tuple)):
            child = self.synthetic(target)
        elif isinstance(target, cst.Attribute) and target.attr.value == "urls":
            child = self.qualname(target.value)
        elif target is not None:
            q = self.qualname(target)
            child = f"{q}.urlpatterns" if q else None
        if child is not None:
            self.rf.mounts.append(Mount(owner, child, prefix, self.span(node)))

    def mount_call(self, node: cst.Call, q: str | None) -> None:
        func = node.func
        entry: dict[str, Any] | None = None
        parent: str | None = None
        if q is not None and q in self.rc.mount_calls:
            entry, parent = self.rc.mount_calls[q], self.list_owner()
        elif isinstance(func, cst.Attribute) and func.attr.value in self.rc.mount_methods:
            entry, parent = self.rc.mount_methods[func.attr.value], self.qualname(func.value)
        if entry is None:
            return
        prefix_node = argument(node, entry.get("prefix_position"), entry.get("prefix_keyword"))
        prefix = string_value(prefix_node) if prefix_node is not None else ""
        deps = self.dependencies_in(argument(node, None, entry["dependencies"])) if "dependencies" in entry else ()
        children: list[cst.BaseExpression] = []
        child_node = argument(node, entry.get("child_position"), entry.get("child_keyword"))
        if child_node is not None:
            children.append(child_node)
        if "routes_keyword" in entry:
            routes = argument(node, None, entry["routes_keyword"])
            if routes is not None:
                children.append(routes)
        for child in children:
            if isinstance(child, cst.Call):
                child = child.func if dotted(child.func) else child  # `app.mount("/x", make_app())`
            name = self.synthetic(child) if isinstance(child, (cst.List, cst.Tuple)) else self.qualname(child)
            if name is not None:
                self.rf.mounts.append(Mount(parent, name, prefix if isinstance(prefix, str) else None, self.span(node), deps))

    def route_object(self, target: str, node: cst.Call, q: str) -> None:
        entry = self.rc.factories[q]
        prefix = string_value(argument(node, None, entry["prefix"])) if "prefix" in entry else None
        deps = self.dependencies_in(argument(node, None, entry["dependencies"])) if "dependencies" in entry else ()
        self.rf.objects[target] = RouterObject(target, q, entry["framework"], self.span(node), prefix if isinstance(prefix, str) else None, deps)
        routes = argument(node, None, "routes")
        if routes is not None:
            child = self.synthetic(routes) if isinstance(routes, (cst.List, cst.Tuple)) else self.qualname(routes)
            if child is not None:
                self.rf.mounts.append(Mount(target, child, "", self.span(node)))

    # ---- statements ----
    def visit_Assign(self, node: cst.Assign) -> None:
        value = node.value
        names = [t.target.value for t in node.targets if isinstance(t.target, cst.Name)]
        if isinstance(value, cst.Call):
            q = self.qualname(value.func)
            if q in self.rc.factories:
                for n in names:
                    self.route_object(n, value, q)
            if q in self.rc.auth_dependencies:
                for n in names:
                    self.rf.scheme_objects[n] = q
            if q in self.rc.mutation_objects and (
                not self.rc.mutation_objects[q] or string_value(argument(value, 0, "name")) == self.rc.mutation_objects[q]
            ):
                self.mutation_objects.update(names)  # `mutation = MutationType()`, `ObjectType("Mutation")`
            if q is not None and q not in self.rc.factories and not self.stack and last_part(q)[:1].isupper():
                for n in names:
                    self.instance(n, value, q)
        if not self.stack and names:
            self.module_assign(names, value)
            if isinstance(value, (cst.List, cst.Tuple, cst.BinaryOperation)):
                self.lists.append((node, names[0]))

    def leave_Assign(self, original_node: cst.Assign) -> None:
        if self.lists and self.lists[-1][0] is original_node:
            self.lists.pop()

    def visit_AugAssign(self, node: cst.AugAssign) -> None:
        if isinstance(node.target, cst.Name) and not self.stack:
            if isinstance(node.value, (cst.List, cst.Tuple, cst.BinaryOperation)):
                self.lists.append((node, node.target.value))
            elif isinstance(node.value, cst.Attribute) and node.value.attr.value == "urls":
                q = self.qualname(node.value.value)
                if q:
                    self.rf.mounts.append(Mount(node.target.value, q, "", self.span(node)))

    def leave_AugAssign(self, original_node: cst.AugAssign) -> None:
        if self.lists and self.lists[-1][0] is original_node:
            self.lists.pop()

    def visit_AnnAssign(self, node: cst.AnnAssign) -> None:
        if node.value is not None and isinstance(node.target, cst.Name) and not self.stack:
            self.module_assign([node.target.value], node.value)

    def module_assign(self, names: list[str], value: cst.BaseExpression) -> None:
        if isinstance(value, cst.Subscript) and (self.qualname(value.value) or "").endswith("Annotated"):
            elements = [e.slice.value for e in value.slice if isinstance(e.slice, cst.Index)]
            dep = next((d for d in (self.dependency_of(m) for m in elements[1:]) if d is not None), None)
            if dep is not None:
                for n in names:
                    annotation = self.qualname(elements[0]) if elements else None
                    self.rf.aliases[n] = Param(n, -1, annotation, dep or annotation, None)
        if "REST_FRAMEWORK" in names and isinstance(value, cst.Dict):
            for el in value.elements:
                if isinstance(el, cst.DictElement) and string_value(el.key) in _DRF_SETTINGS:
                    self.rf.settings[str(string_value(el.key))] = self.qual_list(el.value)
        if "ROOT_URLCONF" in names and isinstance(string_value(value), str):
            self.rf.settings["ROOT_URLCONF"] = (str(string_value(value)),)
        for n in names:
            if "MIDDLEWARE" in n.upper() and isinstance(value, (cst.List, cst.Tuple)):
                self.module_lists[n] = self.qual_list(value)
        # every middleware any assignment lists: settings files add and remove some in branches
        # (`MIDDLEWARE = ["debug_toolbar...", *MIDDLEWARE]`), and none of those drops the login middleware
        if "MIDDLEWARE" in names and isinstance(value, (cst.List, cst.Tuple)):
            self.add_middleware(self.qual_list(value))
        elif "MIDDLEWARE" in names and isinstance(value, cst.Name) and value.value in self.module_lists:
            self.add_middleware(self.module_lists[value.value])  # `MIDDLEWARE = DJANGO_MIDDLEWARE_CLASSES`
        if "LOGIN_EXEMPT_URLS" in names and isinstance(value, (cst.List, cst.Tuple)):
            patterns = (_pattern_text(el.value) for el in value.elements)
            self.rf.settings["LOGIN_EXEMPT_URLS"] = tuple(p for p in patterns if p is not None)

    def add_middleware(self, listed: tuple[str, ...]) -> None:
        known = self.rf.settings.get("MIDDLEWARE", ())
        self.rf.settings["MIDDLEWARE"] = known + tuple(m for m in listed if m not in known)

    def instance(self, name: str, call: cst.Call, cls: str) -> None:
        keywords = tuple(  # only prefix keywords: facts keep no other literal (it could be a secret)
            (a.keyword.value, v) for a in call.args
            if a.keyword is not None and a.keyword.value in self.prefix_keywords and isinstance(v := string_value(a.value), str)
        )
        deps = self.dependencies_in(argument(call, None, "dependencies"))
        self.rf.instances[name] = Instance(name, cls, self.span(call), keywords, deps)

    # ---- calls ----
    def visit_Call(self, node: cst.Call) -> None:
        q = self.qualname(node.func)
        self.base_constructor(node)
        if not self.route_call(node, q):
            self.mount_call(node, q)
        if q is not None and isinstance(node.func, cst.Attribute) and node.func.attr.value in ("before_request", "before_app_request"):
            target = self.qual(argument(node, 0, "f"))
            if target:
                self.rf.hooks.append(Hook(self.qualname(node.func.value) or "<expr>", target, self.span(node)))
        if isinstance(node.func, cst.Attribute) and node.func.attr.value == "set_field" and self.qualname(node.func.value) in self.mutation_objects:
            resolver = self.qual(argument(node, 1, "resolver"))
            if resolver:  # ariadne `mutation.set_field("login", resolve_login)`
                self.rf.routes.append(graphql_route(resolver, self.span(node), False))
        if self._provides_list(node, q):
            for a in node.args:
                if isinstance(a.value, (cst.List, cst.Tuple)):
                    self.lists.append((a.value, self.synthetic(a.value)))

    def base_constructor(self, node: cst.Call) -> None:
        """`super().__init__(..., dependencies=[Depends(get_admin_user)])` in a class's `__init__`: every
        instance of the class (an `APIRouter` subclass) carries those dependencies."""
        func = node.func
        if not (isinstance(func, cst.Attribute) and func.attr.value == "__init__" and isinstance(func.value, cst.Call)):
            return
        cls = self.enclosing_class()
        if cls is None or dotted(func.value.func) != "super" or not self.stack or self.stack[-1][1] != "__init__":
            return
        deps = self.dependencies_in(argument(node, None, "dependencies"))
        if deps:
            self.rf.base_dependencies[cls] = self.rf.base_dependencies.get(cls, ()) + deps

    def leave_Call(self, original_node: cst.Call) -> None:
        while self.lists and any(self.lists[-1][0] is a.value for a in original_node.args):
            self.lists.pop()

    def _provides_list(self, node: cst.Call, q: str | None) -> bool:
        """Calls whose list argument holds routes: include([...]), Mount(routes=[...]), Starlette(routes=[...])."""
        if q is not None and (q.endswith("include") or q in self.rc.mount_calls or q in self.rc.factories):
            return True
        return isinstance(node.func, cst.Attribute) and node.func.attr.value in self.rc.mount_methods


def _pattern_text(node: cst.BaseExpression) -> str | None:
    """A URL pattern as written: a string, or an f-string with its fields left out
    (`rf"^{URL_PREFIX}static/"` -> `^static/`: the prefix is a deployment setting, usually empty)."""
    if isinstance(node, cst.FormattedString):
        return "".join(p.value for p in node.parts if isinstance(p, cst.FormattedStringText))
    s = string_value(node)
    return s if isinstance(s, str) else None

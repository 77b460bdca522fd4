"""Handler flows: what each function does with what it is given, recorded on its `FunctionInfo`
(made by `keylint.extract.routes.declarations`, which runs first in the same walk): where values
come from (`Sources`), the tokens it mints and for whom, the calls into project code with the
sources of their arguments, credential checks, reads of authentication state, role checks,
comparisons, rejections, and where each minted value goes (`Reach`): returned, written to the response,
or nowhere the caller sees it (a mailer, a hook, a digest of it)."""

from __future__ import annotations

import builtins
import re
import sys

import libcst as cst

from keylint.catalog import split_words
from keylint.extract.pyvisit import FactVisitor, ModuleState, argument, dotted, string_value
from keylint.extract.routes.catalog import is_subject_key, last_part, mentions_credential, minter_by_name, route_catalog, short, subject_keys, words
from keylint.extract.routes.facts import (
    CONST, CREDENTIAL, NONE, RANDOM, REQUEST, Arg, CallSite, Constructed, CredentialCheck, FromCall, FromParam, FunctionInfo, InstanceOf, Mint,
    Origin, Reach, Source, Sources, route_facts,
)

# What a caller proves who they are with (a narrower set: passing a *token* somewhere proves nothing).
_SECRET_WORDS = frozenset({"password", "passwd", "pwd", "pw", "passphrase", "passcode", "otp", "totp", "hotp", "pin", "secret"})
# Calls that turn a password into a hash for storing it: passing one a password checks nothing.
_HASHING_WORDS = frozenset({"hash", "hashed", "make", "set", "generate", "encrypt", "create", "new", "reset", "change", "update", "register", "signup"})
_VERIFYING_WORDS = frozenset({"verify", "check", "authenticate", "auth", "login", "validate", "compare", "match", "confirm"})
# Attributes and names that read who the caller is (authentication state).
_AUTH_STATE = frozenset({"is_authenticated", "is_anonymous", "authorization", "authorized_userid", "check_authorized", "get_jwt_identity", "current_user"})
# Attributes that restrict by role or ownership.
_ROLE_ATTRS = frozenset(
    {"is_superuser", "is_admin", "is_staff", "role", "roles", "has_perm", "has_perms", "has_role", "has_roles",
     "has_permission", "permissions", "scopes", "groups", "is_owner", "admin"}
)
# Calls that check the caller's permission or role, or the caller against an object, by their name:
# `can_modify(user, obj)`, `ensure_owner(obj)`, `user_has_permission_or_403(...)`,
# `self.check_object_permissions(request, obj)`, `user.is_staff_or_403()`. Recorded with the roles.
_PERMISSION_WORDS = frozenset({"permission", "permissions", "perm", "perms", "owner", "owns", "ownership", "authorize", "authorise", "authorized"})
_PREDICATE_VERBS = frozenset({"is", "has", "ensure", "require", "check", "assert", "verify"})
_PRIVILEGE_WORDS = frozenset({"staff", "superuser", "admin", "moderator"})
_NOT_PREDICATE = frozenset({"get", "set", "create", "add", "remove", "delete", "update", "list", "grant", "revoke", "assign", "make", "build", "new"})
# Query calls that, given the caller among their arguments, scope a lookup by the caller:
# `Model.objects.restrict(request.user, "view")`, `get_object_or_404(M, pk=pk, owner=request.user)`
_SCOPING_CALLS = frozenset({"restrict", "get_object_or_404", "get_list_or_404"})
_REJECT_CALLS = frozenset({"abort", "redirect", "redirect_to_login", "handle_no_permission", "HTTPException", "PermissionDenied", "HTTPUnauthorized", "HTTPForbidden", "Unauthorized", "Forbidden"})
_DELIVERY_WORDS = frozenset({"send", "mail", "email", "notify", "deliver", "sms", "enqueue", "delay"})
# Calls whose result says something about a value without being it: its length, a hash, a test.
_DIGEST_CALLS = frozenset(
    {"len", "hash", "bool", "md5", "sha1", "sha224", "sha256", "sha384", "sha512", "blake2b", "blake2s", "hexdigest", "digest",
     "hashpw", "make_password", "hash_password", "compare_digest", "startswith", "endswith", "count", "find", "isinstance"}
)
_DIGEST_MODULES = frozenset({"hashlib", "hmac", "bcrypt", "passlib"})
# Words of calls that write to the response they are given: `response.set_cookie`, `set_access_cookies(resp, t)`.
_RESPONSE_PARTS = frozenset({"cookie", "cookies", "header", "headers"})
_WRITE_WORDS = frozenset({"set", "add", "append", "write", "put", "update", "setdefault"})
_NOT_PROJECT = frozenset(dir(builtins)) | frozenset(sys.stdlib_module_names) - {"test"}
# Frameworks whose functions are never project code (calls into them are not followed).
_LIBRARIES = frozenset(
    {"django", "flask", "fastapi", "starlette", "rest_framework", "sqlalchemy", "pydantic", "werkzeug", "aiohttp",
     "jinja2", "sanic", "bottle", "requests", "httpx", "celery", "marshmallow", "wtforms", "flask_wtf", "redis"}
)
_GENERIC_SERIALIZER = "itsdangerous.URLSafeTimedSerializer"  # what an unknown `get_*_serializer()` returns
_SAVE_WORDS = frozenset({"add", "save", "persist", "insert", "merge", "create", "register"})
_NEW_OBJECT_CALLS = frozenset({"create", "create_user", "create_superuser", "register", "signup", "sign_up", "add_user", "save_new_user", "register_user"})
_QUERY_METHODS = frozenset({"first", "one", "get", "last", "filter", "filter_by", "all", "scalar", "earliest", "latest", "one_or_none", "scalars"})
# Calls that run SQL text: a `WHERE ... password = ?` in it makes the query the credential check.
_SQL_RUN = frozenset({"execute", "executemany", "executescript", "fetch", "fetchrow", "fetchval", "raw", "text"})
_REQUEST_NAMES = frozenset({"request", "req"})
_REQUEST_CLASSES = frozenset({"Request", "HttpRequest", "WSGIRequest", "ASGIRequest", "BaseRequest"})
_REQUEST_GLOBALS = frozenset({"flask.request", "quart.request", "bottle.request", "werkzeug.local.request", "sanic.request"})


class _Function:
    """What is known about one function while its body is being visited."""

    def __init__(self, info: FunctionInfo, request_params: set[str]) -> None:
        self.info = info
        self.params = {p.name for p in info.params}
        self.request_params = request_params
        self.vars: dict[str, Sources] = {}
        self.dicts: dict[str, Sources | None] = {}  # dict-valued locals: sources of subject keys (None: no subject key)
        self.dict_text: dict[str, str] = {}  # dict-valued locals: the source text of their subject
        self.receivers: dict[str, str] = {}  # local name -> itsdangerous/signing class it is an instance of
        self.saved: set[str] = set()  # locals stored by `db.add(x)`, `x.save()`, `save_changes(x)`
        self.results: dict[str, list[int]] = {}  # local name -> the mints (i) and calls (-(i+1)) whose results it holds
        self.reach: dict[int, Reach] = {}  # mint (i) or call (-(i+1)) -> where its value goes, as far as seen
        self.sent: set[int] = set()  # calls (-(i+1)) of a project function that sends (`send_login_link()`)


class HandlerFlowVisitor(FactVisitor):
    def __init__(self, state: ModuleState) -> None:
        super().__init__(state)
        self.rc = route_catalog(self.catalog)
        self.rf = route_facts(self.facts)
        self.funcs: list[_Function] = []
        self.module_receivers: dict[str, str] = {}
        self.class_receivers: dict[tuple[str, str], str] = {}
        self.calls_stack: list[cst.Call] = []
        self.pending_result: list[str] = []  # locals the current statement assigns to
        self.pending_response = False  # the current statement writes its value into the response
        self.returning = 0  # inside a `return`/`yield` value
        self.slicing = 0  # inside `x[a:b]`: a prefix of a value, not the value
        self.outside_body = 0  # inside decorators, parameters and annotations: not the function's own calls

    @property
    def fn(self) -> _Function | None:
        return self.funcs[-1] if self.funcs else None

    def receiver_of(self, node: cst.BaseExpression) -> str | None:
        """The signer/serializer class `node` is an instance of, when known."""
        if isinstance(node, cst.Call):
            q = self.qualname(node.func)
            if q in self.rc.receivers:
                return q
            name = q or (node.func.attr.value if isinstance(node.func, cst.Attribute) else "")
            if words(last_part(name)) & {"serializer", "signer"}:
                return _GENERIC_SERIALIZER  # app.session_interface.get_signing_serializer(app)
            return None
        if isinstance(node, cst.Name):
            if self.fn is not None and node.value in self.fn.receivers:
                return self.fn.receivers[node.value]
            return self.module_receivers.get(node.value)
        if isinstance(node, cst.Attribute) and isinstance(node.value, cst.Name) and node.value.value == self.self_name():
            cls = self.enclosing_class()
            return self.class_receivers.get((cls or "", node.attr.value))
        q = self.qualname(node)
        return q if q in self.rc.receivers else None

    # ---- where values come from ----
    def is_request(self, node: cst.BaseExpression) -> bool:
        if isinstance(node, cst.Name):
            if self.fn is not None and node.value in self.fn.request_params:
                return True
            return self.qualname(node) in _REQUEST_GLOBALS
        if isinstance(node, cst.Attribute):
            if isinstance(node.value, cst.Name) and node.value.value == self.self_name() and node.attr.value == "request":
                return True
            if node.attr.value == "context" and isinstance(node.value, cst.Name) and node.value.value == "info" and self.fn is not None and "info" in self.fn.params:
                return True  # a GraphQL resolver's `info.context`: the request (graphene, ariadne)
            if node.attr.value == "request" and self.is_request(node.value):
                return True  # strawberry: `info.context.request`
            return self.qualname(node) in _REQUEST_GLOBALS
        if isinstance(node, cst.Subscript) and len(node.slice) == 1 and isinstance(node.slice[0].slice, cst.Index):
            return string_value(node.slice[0].slice.value) == "request" and self.is_request(node.value)  # `info.context["request"]`
        return False

    def sources(self, node: cst.BaseExpression | None) -> Sources:
        if node is None:
            return NONE
        if isinstance(node, (cst.SimpleString, cst.ConcatenatedString, cst.Integer, cst.Float)):
            return CONST
        if isinstance(node, cst.FormattedString):
            parts = [self.sources(p.expression) for p in node.parts if isinstance(p, cst.FormattedStringExpression)]
            return frozenset().union(*parts) if parts else CONST
        if isinstance(node, cst.Name):
            return self.name_sources(node)
        if isinstance(node, cst.Attribute):
            return self.attribute_sources(node)
        if isinstance(node, cst.Subscript):
            out = set(self.sources(node.value))
            for el in node.slice:
                if isinstance(el.slice, cst.Index) and string_value(el.slice.value) is None:
                    out |= self.sources(el.slice.value) - CONST
            return frozenset(out)
        if isinstance(node, cst.Call):
            return self.call_sources(node)
        if isinstance(node, cst.Await):
            return self.sources(node.expression)
        if isinstance(node, cst.Dict):
            return frozenset().union(*(self.sources(e.value) for e in node.elements)) if node.elements else CONST
        if isinstance(node, (cst.List, cst.Tuple, cst.Set)):
            return frozenset().union(*(self.sources(e.value) for e in node.elements)) if node.elements else CONST
        if isinstance(node, cst.BinaryOperation):
            return self.sources(node.left) | self.sources(node.right)
        if isinstance(node, cst.BooleanOperation):
            return self.sources(node.left) | self.sources(node.right)
        if isinstance(node, cst.IfExp):
            return self.sources(node.body) | self.sources(node.orelse)
        if isinstance(node, cst.UnaryOperation):
            return self.sources(node.expression)
        if isinstance(node, cst.StarredElement):
            return self.sources(node.value)
        if isinstance(node, (cst.ListComp, cst.SetComp, cst.GeneratorExp)):
            out = set(self.sources(node.elt))
            comp: cst.CompFor | None = node.for_in
            while comp is not None:
                out |= self.sources(comp.iter)
                comp = comp.inner_for_in
            return frozenset(out)
        return NONE

    def name_sources(self, node: cst.Name) -> Sources:
        fn = self.fn
        name = node.value
        if fn is not None:
            if name in fn.vars:
                return fn.vars[name]
            if name in fn.request_params:
                return REQUEST
            if name in fn.params:
                return frozenset({FromParam(name)})
        if name in ("None", "True", "False"):
            return CONST
        q = self.qualname(node) or name
        if q in self.rc.source_calls or name in self.rc.source_names:
            return CREDENTIAL
        if q in _REQUEST_GLOBALS:
            return REQUEST
        if re.fullmatch(r"[A-Z][A-Z0-9_]*", name):
            return CONST
        return NONE

    def attribute_sources(self, node: cst.Attribute) -> Sources:
        attr = node.attr.value
        q = self.qualname(node)
        if q is not None and q in self.rc.source_calls:
            return CREDENTIAL
        if self.is_request(node.value):
            if attr in self.rc.request_identity:
                return CREDENTIAL
            if attr in self.rc.request_data:
                return REQUEST
            return NONE
        if isinstance(node.value, cst.Name) and node.value.value == self.self_name() and attr == "kwargs":
            return REQUEST  # Django class-based views: the URL's keyword arguments
        if q is not None and q.startswith("flask.g.") and "user" in words(attr):
            return CREDENTIAL
        return self.sources(node.value)

    def call_sources(self, node: cst.Call) -> Sources:
        q = self.qualname(node.func)
        last = last_part(q) if q else (node.func.attr.value if isinstance(node.func, cst.Attribute) else "")
        if q is not None and (q in self.rc.random_calls or q.partition(".")[0] in self.rc.random_modules):
            return RANDOM  # `secrets.token_urlsafe(16)`, `uuid.uuid4()`
        if q is not None and (q in self.rc.source_calls or last in self.rc.source_names):
            return CREDENTIAL
        if q is not None and (q in self.rc.check_calls or last in self.rc.check_names):
            return CREDENTIAL  # the payload of a verified token, the user `authenticate` returns
        if isinstance(node.func, cst.Attribute):
            receiver = self.receiver_of(node.func.value)
            if receiver is not None and (receiver, last) in self.rc.check_methods:
                return CREDENTIAL
        args: set[Source] = set()
        for a in node.args:
            args |= self.sources(a.value)
        if last in _NEW_OBJECT_CALLS:
            return frozenset(args | {Origin.NEW})  # User.objects.create(...), create_user(...): a sign-up's account
        if isinstance(node.func, cst.Attribute) and words(last) & _SAVE_WORDS and isinstance(node.func.value, cst.Call):
            if last_part(self.qualname(node.func.value.func) or "")[:1].isupper():
                return frozenset(args | self.sources(node.func.value) | {Origin.NEW})  # User(...).save()
        if isinstance(node.func, cst.Attribute):
            base = self.sources(node.func.value)
            out = frozenset(args | base)
            literal_args = all(self.sources(a.value) and self.sources(a.value) <= CONST for a in node.args)
            if not out - CONST and literal_args and last in _QUERY_METHODS and _root_is_class(node.func.value):
                return frozenset(out | {Origin.DB})  # User.query.first(), User.objects.get(username="admin"): one fixed record
            if q is not None and isinstance(_root(node.func.value), cst.Name) and self._is_module_ref(node.func.value):
                return frozenset(out | {FromCall(q)})
            return out
        if q is not None:
            return frozenset(args | {FromCall(q)})
        return frozenset(args)

    def _is_module_ref(self, node: cst.BaseExpression) -> bool:
        root = _root(node)
        return isinstance(root, cst.Name) and root.value in self.facts.imports and (self.fn is None or root.value not in self.fn.vars)

    def subject_sources(self, node: cst.BaseExpression | None) -> Sources | None:
        """Sources of whose token a value names; None for a payload with no subject-like key."""
        if isinstance(node, cst.Dict):
            keys = [(string_value(e.key), e.value) for e in node.elements if isinstance(e, cst.DictElement)]
            chosen = set(subject_keys([k for k, _ in keys if isinstance(k, str)]))
            subject = [v for k, v in keys if isinstance(k, str) and k in chosen]
            if subject:
                return frozenset().union(*(self.sources(v) for v in subject))
            if all(isinstance(k, str) for k, _ in keys) and not any(isinstance(e, cst.StarredDictElement) for e in node.elements):
                return None
            return self.sources(node)
        if isinstance(node, cst.Call) and dotted(node.func) == "dict":
            chosen = set(subject_keys([a.keyword.value for a in node.args if a.keyword is not None]))
            subject = [a.value for a in node.args if a.keyword is not None and a.keyword.value in chosen]
            if subject:
                return frozenset().union(*(self.sources(v) for v in subject))
            if all(a.keyword is not None for a in node.args):
                return None
        if isinstance(node, cst.Name) and self.fn is not None and node.value in self.fn.dicts:
            return self.fn.dicts[node.value]
        return self.sources(node)

    # ---- functions ----
    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        info = self.rf.functions[self.scope]  # recorded by RouteDeclarationVisitor, which runs first
        request_params = {
            p.name for p in info.params
            if p.dependency is None and (p.name in _REQUEST_NAMES or last_part(p.annotation or "") in _REQUEST_CLASSES)
        }
        self.funcs.append(_Function(info, request_params))

    def leave_FunctionDef(self, original_node: cst.FunctionDef) -> None:
        fn = self.funcs.pop()
        info = fn.info

        def settle(sources: Sources) -> Sources:
            made = [s.name for s in sources if isinstance(s, Constructed)]
            if not made:
                return sources
            out = {s for s in sources if not isinstance(s, Constructed)}
            if any(name in fn.saved for name in made):
                out.add(Origin.NEW)
            return frozenset(out)

        def reach(index: int) -> Reach:
            return Reach.NOWHERE if index in fn.sent else fn.reach.get(index, Reach.NOWHERE)

        info.mints = [
            Mint(m.minter, m.kind, m.span, settle(m.subject), m.subject_text, Reach.RESPONSE if m.kind == "session" else reach(i), m.subjectless, m.by_name)
            for i, m in enumerate(info.mints)
        ]
        info.calls = [
            CallSite(c.callee, c.span, tuple(Arg(a.position, a.keyword, settle(a.sources), a.text, a.subjectless) for a in c.args), c.self_call, reach(-i - 1))
            for i, c in enumerate(info.calls)
        ]
        info.compares = [tuple(settle(o) for o in operands) for operands in info.compares]
        info.return_sources = settle(info.return_sources)

    # ---- statements ----
    def visit_Assign(self, node: cst.Assign) -> None:
        value = node.value
        if isinstance(value, cst.Call):
            q = self.qualname(value.func)
            receiver = q if q in self.rc.receivers else None
            if receiver is not None:
                for t in node.targets:
                    self.bind_receiver(t.target, receiver)
        for t in node.targets:
            self.local_assign(t.target, value)

    def visit_AugAssign(self, node: cst.AugAssign) -> None:
        fn = self.fn
        if fn is not None and isinstance(node.target, cst.Name):
            # `x += ...` keeps what `x` held: a parameter stays a parameter
            fn.vars[node.target.value] = fn.vars.get(node.target.value, self.name_sources(node.target)) | self.sources(node.value)

    def visit_AnnAssign(self, node: cst.AnnAssign) -> None:
        if node.value is not None:
            self.local_assign(node.target, node.value)

    def bind_receiver(self, target: cst.BaseExpression, receiver: str) -> None:
        if isinstance(target, cst.Name):
            if self.fn is not None:
                self.fn.receivers[target.value] = receiver
            else:
                self.module_receivers[target.value] = receiver
        elif isinstance(target, cst.Attribute) and isinstance(target.value, cst.Name) and target.value.value == self.self_name():
            self.class_receivers[(self.enclosing_class() or "", target.attr.value)] = receiver

    def local_assign(self, target: cst.BaseExpression, value: cst.BaseExpression) -> None:
        fn = self.fn
        if fn is None:
            return
        if isinstance(target, cst.Name):
            name = target.value
            fn.vars[name] = fn.vars.get(name, NONE) | self.sources(value)
            if isinstance(value, cst.Dict) or (isinstance(value, cst.Call) and dotted(value.func) == "dict"):
                fn.dicts[name] = self.subject_sources(value)
                fn.dict_text[name] = self.subject_text(value)
            elif name in fn.dicts:
                del fn.dicts[name]
            # a new value: what the local held before is not what a later `send(token)` sends; the mints and
            # calls in `value` (visited next) feed it, and so do the locals it is made from
            fn.results[name] = self.held(value)
            self.pending_result.append(name)
            inner = value.expression if isinstance(value, cst.Await) else value
            if isinstance(inner, cst.Call):
                cls = self.qualname(inner.func) or ""
                if last_part(cls)[:1].isupper():
                    # a new object: an account if it gets saved (see leave_FunctionDef); a form reads the request
                    fn.vars[name] |= {Constructed(name), InstanceOf(cls)}
        elif isinstance(target, (cst.Tuple, cst.List)):
            for el in target.elements:
                self.local_assign(el.value, value)
        elif isinstance(target, cst.Subscript) and _is_response_part(target.value):
            self.reaches(self.held(value), Reach.RESPONSE)  # `response.headers["Authorization"] = token`
            self.pending_response = True
        elif isinstance(target, cst.Subscript) and isinstance(target.value, cst.Name):
            name = target.value.value
            key = target.slice[0].slice.value if target.slice and isinstance(target.slice[0].slice, cst.Index) else None
            k = string_value(key) if key is not None else None
            if name in fn.dicts and isinstance(k, str) and is_subject_key(k):
                fn.dicts[name] = (fn.dicts[name] or NONE) | self.sources(value)
                fn.dict_text[name] = self.text(value)
            if not (isinstance(k, str) and not is_subject_key(k)):
                # `claims["exp"] = expire`: an entry that names no account adds nothing to whose token it is
                fn.vars[name] = fn.vars.get(name, self.name_sources(target.value)) | self.sources(value)
            self.add_held(name, value)  # `data["token"] = token`: the dict holds the token now
        elif isinstance(target, cst.Attribute) and isinstance(target.value, cst.Name):
            self.add_held(target.value.value, value)  # `user.token = token`

    def visit_For(self, node: cst.For) -> None:
        self.local_assign(node.target, node.iter)

    def visit_WithItem(self, node: cst.WithItem) -> None:
        if node.asname is not None:
            self.local_assign(node.asname.name, node.item)

    def visit_Return(self, node: cst.Return) -> None:
        fn = self.fn
        if fn is None or node.value is None:
            return
        self.returning += 1
        self.reaches(self.held(node.value), Reach.RETURNED)
        fn.info.return_sources = fn.info.return_sources | self.sources(node.value)
        values = [node.value.body, node.value.orelse] if isinstance(node.value, cst.IfExp) else [node.value]
        for v in values:
            q = self.qualname(v) if isinstance(v, (cst.Name, cst.Attribute)) else None
            if q is not None and q not in fn.vars and q not in fn.params:
                fn.info.returns.append(q)

    def leave_Return(self, original_node: cst.Return) -> None:
        if self.fn is not None and original_node.value is not None:
            self.returning -= 1

    def visit_Yield(self, node: cst.Yield) -> None:
        if self.fn is not None and isinstance(node.value, cst.BaseExpression):
            self.returning += 1
            self.reaches(self.held(node.value), Reach.RETURNED)

    def leave_Yield(self, original_node: cst.Yield) -> None:
        if self.fn is not None and isinstance(original_node.value, cst.BaseExpression):
            self.returning -= 1

    def visit_Subscript(self, node: cst.Subscript) -> None:
        if any(isinstance(e.slice, cst.Slice) for e in node.slice):
            self.slicing += 1

    def leave_Subscript(self, original_node: cst.Subscript) -> None:
        if any(isinstance(e.slice, cst.Slice) for e in original_node.slice):
            self.slicing -= 1

    # ---- where made values go ----
    def held(self, node: cst.BaseExpression) -> list[int]:
        """The mints and calls (as indexed in `_Function.results`) whose values `node` carries on: through
        the locals it reads, except as a length, hash, prefix or test of them, or a mailer's argument."""
        fn = self.fn
        if fn is None or not fn.results:
            return []
        return [i for name in _carried_names(node) for i in fn.results.get(name, ())]

    def add_held(self, name: str, value: cst.BaseExpression) -> None:
        fn = self.fn
        if fn is not None:
            fn.results[name] = [*fn.results.get(name, ()), *self.held(value)]
            self.pending_result.append(name)

    def reaches(self, indexes: list[int], reach: Reach) -> None:
        fn = self.fn
        if fn is None:
            return
        for i in indexes:
            if _RANK[reach] > _RANK[fn.reach.get(i, Reach.NOWHERE)]:
                fn.reach[i] = reach

    def where_it_goes(self) -> Reach:
        """Where the value of the call being visited goes by where it is written (a later use of the local
        it is assigned to may send it further)."""
        for outer in reversed(self.calls_stack[:-1]):
            role = _role(outer)
            if role is not None:
                return role
        if self.slicing:
            return Reach.NOWHERE
        return Reach.RETURNED if self.returning else Reach.NOWHERE

    def visit_Raise(self, node: cst.Raise) -> None:
        if self.fn is not None:
            self.fn.info.rejects = True

    def visit_Integer(self, node: cst.Integer) -> None:
        if self.fn is not None and node.value in ("401", "403"):
            self.fn.info.rejects = True

    def visit_SimpleString(self, node: cst.SimpleString) -> None:
        if self.fn is not None:
            s = string_value(node)
            if isinstance(s, str) and s.lower() in ("authorization", "http_authorization", "x-api-key"):
                self.fn.info.auth_markers.append(f"reads the {s} header")

    def visit_UnaryOperation(self, node: cst.UnaryOperation) -> None:
        # `if not request.user.is_authenticated: return redirect(...)`: the handler turns away anonymous callers
        if self.fn is not None and isinstance(node.operator, cst.Not) and isinstance(node.expression, cst.Attribute):
            if node.expression.attr.value == "is_authenticated":
                self.fn.info.requires_login = True

    def visit_Attribute(self, node: cst.Attribute) -> None:
        fn = self.fn
        if fn is None:
            return
        attr = node.attr.value
        if attr in _AUTH_STATE:
            fn.info.auth_markers.append(attr)
        if attr == "is_anonymous":
            fn.info.requires_login = True
        if attr in _ROLE_ATTRS:
            fn.info.roles.append(attr)
        if attr in self.rc.request_identity and self.is_request(node.value):
            fn.info.auth_markers.append(f"request.{attr}")
        q = self.qualname(node)
        if q is not None and q in ("flask.session", "flask.g.user") and "session" not in fn.info.auth_markers:
            fn.info.auth_markers.append("session")

    def visit_Name(self, node: cst.Name) -> None:
        fn = self.fn
        if fn is None:
            return
        q = self.qualname(node)
        if q in ("flask.session", "flask_login.current_user") or (q in self.rc.source_calls and q is not None):
            fn.info.auth_markers.append(last_part(q or node.value))

    def visit_Comparison(self, node: cst.Comparison) -> None:
        fn = self.fn
        if fn is None:
            return
        operands = [node.left, *(c.comparator for c in node.comparisons)]
        equality = any(isinstance(c.operator, (cst.Equal, cst.NotEqual)) for c in node.comparisons)
        if equality and any(_names_credential(o) for o in operands) and not any(_is_empty(o) for o in operands):
            fn.info.checks.append(CredentialCheck(f"compares {self.text(node)}", self.span(node)))
        if equality:
            fn.info.compares.append(tuple(self.sources(o) for o in operands))

    # ---- calls ----
    def visit_Call(self, node: cst.Call) -> None:
        self.calls_stack.append(node)
        fn = self.fn
        if fn is None or self.outside_body:
            return
        self.call_in_function(fn, node, self.qualname(node.func))

    def visit_Decorator(self, node: cst.Decorator) -> None:
        self.outside_body += 1

    def leave_Decorator(self, original_node: cst.Decorator) -> None:
        self.outside_body -= 1

    def visit_Parameters(self, node: cst.Parameters) -> None:
        self.outside_body += 1

    def leave_Parameters(self, original_node: cst.Parameters) -> None:
        self.outside_body -= 1

    def leave_Call(self, original_node: cst.Call) -> None:
        self.calls_stack.pop()

    def text(self, node: cst.CSTNode) -> str:
        return short(self.code(node))

    def subject_text(self, node: cst.BaseExpression | None) -> str:
        """The code of what a token is minted for: the subject entry of a claims dict, or the value."""
        if node is None:
            return "?"
        if isinstance(node, cst.Dict):
            entries = [(string_value(e.key), e.value) for e in node.elements if isinstance(e, cst.DictElement)]
            chosen = subject_keys([k for k, _ in entries if isinstance(k, str)])
            for k, v in entries:
                if chosen and k == chosen[0]:
                    return self.text(v)
        return self.text(node)

    def call_in_function(self, fn: _Function, node: cst.Call, q: str | None) -> None:
        func = node.func
        last = last_part(q) if q else (func.attr.value if isinstance(func, cst.Attribute) else "")
        receiver = self.receiver_of(func.value) if isinstance(func, cst.Attribute) else None
        if _role(node) is Reach.RESPONSE:  # `response.set_cookie("token", token)`
            for a in node.args:
                self.reaches(self.held(a.value), Reach.RESPONSE)
        # minting
        entry = self.rc.minter_calls.get(q or "")
        if entry is None and receiver is not None:
            entry = self.rc.minter_methods.get((receiver, last))
        if entry is not None:
            subject_node = argument(node, entry.get("subject_position"), entry.get("subject_keyword"))
            subject = self.subject_sources(subject_node)
            subjectless = subject is None  # `{"role": "service"}`: whose token it is, nothing says
            text = fn.dict_text.get(subject_node.value, "") if isinstance(subject_node, cst.Name) else ""
            text = text or self.subject_text(subject_node)
            minter = q if q in self.rc.minter_calls else f"{receiver}.{last}"
            sources = self.sources(subject_node) if subject is None else subject
            fn.info.mints.append(Mint(minter, entry["kind"], self.span(node), sources, text, subjectless=subjectless))
            self._note_result(fn, len(fn.info.mints) - 1)
            return
        root = (q or "").partition(".")[0]
        named_kind = minter_by_name(self.rc, last) if last and root not in _LIBRARIES and root not in _NOT_PROJECT else None
        if named_kind is not None:
            # also recorded as a call below: when the linker finds the callee in the project, it follows
            # that instead and drops this mint
            subject_node = argument(node, 0, None)
            subject = self.subject_sources(subject_node)
            text = fn.dict_text.get(subject_node.value, "") if isinstance(subject_node, cst.Name) else ""
            text = text or self.subject_text(subject_node)
            sources = self.sources(subject_node) if subject is None else subject
            minter = q or self.text(func)
            fn.info.mints.append(Mint(minter, named_kind, self.span(node), sources, text, subjectless=subject is None, by_name=True))
            self._note_result(fn, len(fn.info.mints) - 1)
        if last in _SQL_RUN and isinstance(func, cst.Attribute) and isinstance(func.value, cst.Name) and func.value.value in fn.vars:
            # `cur.execute(sql, (name, pw))`: the rows `cur.fetchone()` returns come from what the query was given
            fn.vars[func.value.value] = fn.vars[func.value.value] | frozenset().union(*(self.sources(a.value) - CONST for a in node.args))
        # proof
        if last in _SQL_RUN and any(_sql_checks_credential(a.value) for a in node.args):
            fn.info.checks.append(CredentialCheck(f"{q or last}() of a query that matches a password", self.span(node)))
        elif q is not None and q in self.rc.check_calls or last in self.rc.check_names or (receiver, last) in self.rc.check_methods:
            fn.info.checks.append(CredentialCheck(f"{q or last}()", self.span(node)))
        elif self._passes_credential(node, last):
            fn.info.checks.append(CredentialCheck(f"{q or last}() with a credential", self.span(node)))
        if last in _REJECT_CALLS:
            fn.info.rejects = True  # `self.handle_no_permission()` turns the caller away; it checks nothing itself
        elif _checks_permission(last):
            fn.info.roles.append(f"{last}()")
        if last in _QUERY_METHODS or last in ("where", "in_") or last in _SCOPING_CALLS:
            # `User.query.filter(User.id.in_(current_user.managed))`: a lookup scoped by the caller
            fn.info.compares.append(tuple(self.sources(a.value) for a in node.args))
        if words(last) & _SAVE_WORDS:
            targets = [a.value for a in node.args] + ([func.value] if isinstance(func, cst.Attribute) else [])
            fn.saved |= {t.value for t in targets if isinstance(t, cst.Name)}
        if q is not None and (q in self.rc.source_calls or last in self.rc.source_names):
            fn.info.auth_markers.append(last)
        # a call into project code (resolved by the linker); builtins and the standard library are not
        callee, self_call = self.callee(func, q)
        root = callee.partition(".")[0] if callee is not None else ""
        if callee is None or root in _NOT_PROJECT or root in _LIBRARIES or (isinstance(func, cst.Attribute) and self.is_request(_root(func))):
            return
        args = []
        positional = 0
        for a in node.args:
            if a.star:
                continue
            subject = self.subject_sources(a.value)
            sources = subject if subject is not None else self.sources(a.value)
            text = fn.dict_text.get(a.value.value, "") if isinstance(a.value, cst.Name) else ""
            text = text or (self.subject_text(a.value) if sources else "")  # only a value with an origin can be a subject
            if a.keyword is not None:
                args.append(Arg(-1, a.keyword.value, sources, text, subject is None))
            else:
                args.append(Arg(positional, None, sources, text, subject is None))
                positional += 1
        # the callee's name is where the call is (and much cheaper to place than the whole call)
        fn.info.calls.append(CallSite(callee, self.span(func), tuple(args), self_call))
        self._note_result(fn, -len(fn.info.calls))
        if words(last_part(callee)) & _DELIVERY_WORDS:
            fn.sent.add(-len(fn.info.calls))  # `profile.send_login_link()` delivers whatever it mints out of band

    def callee(self, func: cst.BaseExpression, q: str | None) -> tuple[str | None, bool]:
        if isinstance(func, cst.Attribute) and isinstance(func.value, cst.Name):
            base = func.value.value
            cls = self.enclosing_class()
            if cls is not None and base in (self.self_name(), "cls"):
                return f"{cls}.{func.attr.value}", True
        return q, False

    def _note_result(self, fn: _Function, index: int) -> None:
        """Record where this call's result (mints as i, calls as -(i+1)) goes: where it is written, and
        into the locals the statement assigns, whose later uses (a return, a cookie, `send_email(token)`)
        decide the rest."""
        self.reaches([index], Reach.RESPONSE if self.pending_response else self.where_it_goes())
        for name in self.pending_result:
            fn.results.setdefault(name, []).append(index)

    def visit_SimpleStatementLine(self, node: cst.SimpleStatementLine) -> None:
        self.pending_result = []
        self.pending_response = False

    def _passes_credential(self, node: cst.Call, last: str) -> bool:
        said = words(last)
        if said & _HASHING_WORDS or last[:1].isupper():
            return False  # hashing a password to store it, or building an object (`User(password=...)`)
        for a in node.args:
            if a.keyword is not None and words(a.keyword.value) & _SECRET_WORDS and not _is_empty(a.value):
                return True  # User.query.filter_by(username=u, password=p); not jsonify(access_token=t)
        if said & _VERIFYING_WORDS:
            return any(_names_credential(a.value) for a in node.args)
        return False


_RANK = {Reach.NOWHERE: 0, Reach.RETURNED: 1, Reach.RESPONSE: 2}


def _is_response_part(node: cst.BaseExpression) -> bool:
    """`response.headers`, `resp.cookies`: a part of a response that is sent to the caller."""
    return isinstance(node, cst.Attribute) and node.attr.value in _RESPONSE_PARTS


def _role(call: cst.Call) -> Reach | None:
    """What a call does with the values passed to it: NOWHERE for a length, hash or test of them or a
    mailer; RESPONSE for a response writer; None for everything else (it passes them on)."""
    func = call.func
    name = dotted(func) or (func.attr.value if isinstance(func, cst.Attribute) else "")
    last = last_part(name)
    said = words(last)
    if last in _DIGEST_CALLS or name.partition(".")[0] in _DIGEST_MODULES or said & _DELIVERY_WORDS:
        return Reach.NOWHERE
    if said & _RESPONSE_PARTS and said & _WRITE_WORDS:
        return Reach.RESPONSE
    if isinstance(func, cst.Attribute) and _is_response_part(func.value) and said & _WRITE_WORDS:
        return Reach.RESPONSE  # `response.headers.update({...})`
    return None


def _carried_names(node: cst.BaseExpression) -> list[str]:
    """The locals whose values `node` carries on (see `HandlerFlowVisitor.held`)."""
    out: list[str] = []
    todo: list[cst.BaseExpression] = [node]
    while todo:
        n = todo.pop()
        if isinstance(n, cst.Name):
            out.append(n.value)
        elif isinstance(n, cst.Attribute):
            todo.append(n.value)
        elif isinstance(n, cst.Subscript):
            if not any(isinstance(e.slice, cst.Slice) for e in n.slice):  # `token[:8]` is a prefix of it
                todo.append(n.value)
        elif isinstance(n, cst.Call):
            if _role(n) is None:
                todo.extend(a.value for a in n.args)
                if isinstance(n.func, cst.Attribute):
                    todo.append(n.func.value)  # `token.decode()`
        elif isinstance(n, (cst.Dict,)):
            todo.extend(e.value for e in n.elements)
        elif isinstance(n, (cst.List, cst.Tuple, cst.Set)):
            todo.extend(e.value for e in n.elements)
        elif isinstance(n, cst.FormattedString):
            todo.extend(p.expression for p in n.parts if isinstance(p, cst.FormattedStringExpression))
        elif isinstance(n, (cst.BinaryOperation, cst.BooleanOperation)):
            todo.extend((n.left, n.right))
        elif isinstance(n, cst.IfExp):
            todo.extend((n.body, n.orelse))
        elif isinstance(n, (cst.Await, cst.StarredElement)):
            todo.append(n.expression if isinstance(n, cst.Await) else n.value)
    return out


def _checks_permission(name: str) -> bool:
    """A predicate named for a permission, ownership or role check (not a class: `PermissionDenied`)."""
    parts = split_words(name)
    if not parts or name[:1].isupper() or parts[0] in _NOT_PREDICATE:
        return False
    if parts[0] in ("can", "may") and len(parts) > 1:
        return True
    return bool(set(parts) & _PERMISSION_WORDS) or (parts[0] in _PREDICATE_VERBS and bool(set(parts) & _PRIVILEGE_WORDS))


def _root(node: cst.BaseExpression) -> cst.BaseExpression:
    while True:
        if isinstance(node, cst.Attribute):
            node = node.value
        elif isinstance(node, cst.Call):
            node = node.func
        elif isinstance(node, cst.Subscript):
            node = node.value
        else:
            return node


def _root_is_class(node: cst.BaseExpression) -> bool:
    root = _root(node)
    return isinstance(root, cst.Name) and root.value[:1].isupper()


def _is_empty(node: cst.BaseExpression) -> bool:
    if isinstance(node, cst.Name):
        return node.value == "None"
    s = string_value(node)
    return s == "" or s == b""


def _sql_checks_credential(node: cst.BaseExpression) -> bool:
    """SQL text (a string, an f-string with its fields left out, or a concatenation) whose WHERE clause
    compares a password-like column: `SELECT id FROM users WHERE name = ? AND password = ?`."""
    if isinstance(node, cst.FormattedString):
        text = "".join(p.value if isinstance(p, cst.FormattedStringText) else "?" for p in node.parts)
    elif isinstance(node, cst.ConcatenatedString):
        return _sql_checks_credential(node.left) or _sql_checks_credential(node.right)
    elif isinstance(node, cst.BinaryOperation):
        return _sql_checks_credential(node.left) or _sql_checks_credential(node.right)
    else:
        s = string_value(node)
        if not isinstance(s, str):
            return False
        text = s
    where = re.search(r"\bwhere\b(.*)", text, re.IGNORECASE | re.DOTALL)
    if where is None:
        return False
    columns = re.findall(r"([A-Za-z_][\w.]*)\s*(?:=|==|\blike\b)", where.group(1), re.IGNORECASE)
    return any(words(c.rpartition(".")[2]) & _SECRET_WORDS for c in columns)


def _names_credential(node: cst.BaseExpression) -> bool:
    """The expression reads something called a password/secret/OTP/token (a name, attribute, key or header)."""
    if isinstance(node, cst.Name):
        return mentions_credential(node.value)
    if isinstance(node, cst.Attribute):
        return mentions_credential(node.attr.value) or _names_credential(node.value)
    if isinstance(node, cst.Subscript):
        keys = [e.slice.value for e in node.slice if isinstance(e.slice, cst.Index)]
        return any(isinstance(s := string_value(k), str) and mentions_credential(s) for k in keys) or _names_credential(node.value)
    if isinstance(node, cst.Call):
        first = argument(node, 0, None)
        s = string_value(first) if first is not None else None
        if isinstance(s, str) and mentions_credential(s):
            return True  # data.get("password"), request.headers.get("X-Api-Key")
        if isinstance(node.func, cst.Attribute):
            return _names_credential(node.func.value) if node.func.attr.value in ("get", "strip", "encode", "hexdigest", "digest", "lower") else mentions_credential(node.func.attr.value)
        return False
    return False

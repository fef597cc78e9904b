"""Find the user's WSGI application: ``module:attribute``, or a Django project.

Used by the command line (``cloudevents-wsgi invoke/serve APP``) and by the
Lambda shim (``CLOUDEVENTS_WSGI_APP``, ``DJANGO_SETTINGS_MODULE``). Errors are
:class:`LoadError` with a ``problem`` (``"form"``, ``"module"``,
``"attribute"``, ``"callable"``) so that each caller words them for its own
user; an import error raised inside the app's own module propagates as it is,
since its traceback says which dependency is missing.
"""

from __future__ import annotations

import importlib
import os
import sys
from typing import TYPE_CHECKING, Any

from .errors import ConfigurationError

if TYPE_CHECKING:
    from _typeshed.wsgi import WSGIApplication

__all__ = ["LoadError", "django_application", "load_object"]


class LoadError(ConfigurationError):
    """``spec`` does not name a callable: ``problem`` says which part is wrong."""

    def __init__(
        self, problem: str, spec: str, *, module: str = "", name: str = "", found: str = ""
    ) -> None:
        super().__init__(f"{spec}: {problem}")
        self.problem = problem
        self.spec = spec
        self.module = module  # the missing module, or the module lacking the attribute
        self.name = name  # the attribute
        self.found = found  # the type of what was found instead of a callable


def _dotted(name: str) -> bool:
    return bool(name) and all(part.isidentifier() for part in name.split("."))


def load_object(spec: str, *, cwd_first: bool = False) -> Any:
    """The callable named ``module:attribute`` (the attribute may be dotted).

    ``cwd_first`` puts the current directory first on ``sys.path``, as
    ``python -m`` and gunicorn do. Raises :class:`LoadError`.
    """
    module_name, colon, attribute = spec.partition(":")
    if not colon or not _dotted(module_name) or not _dotted(attribute):
        raise LoadError("form", spec)
    if cwd_first:
        cwd = os.getcwd()
        if cwd not in sys.path:
            sys.path.insert(0, cwd)
    try:
        target: Any = importlib.import_module(module_name)
    except ModuleNotFoundError as error:
        missing = error.name or ""
        if module_name == missing or module_name.startswith(missing + "."):
            raise LoadError("module", spec, module=missing) from None
        raise  # a dependency of the app is missing: its own error says which
    for name in attribute.split("."):
        try:
            target = getattr(target, name)
        except AttributeError:
            raise LoadError("attribute", spec, module=module_name, name=attribute) from None
    if not callable(target):
        raise LoadError("callable", spec, name=attribute, found=type(target).__name__)
    return target


def django_application() -> WSGIApplication:
    """``django.core.wsgi.get_wsgi_application()``; ``ConfigurationError``
    when Django cannot be imported."""
    try:
        module = importlib.import_module("django.core.wsgi")
    except ImportError as error:
        raise ConfigurationError(f"Django cannot be imported ({error})") from error
    return module.get_wsgi_application()  # type: ignore[no-any-return]

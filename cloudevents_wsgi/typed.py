"""Event data validated into a pydantic model or a dataclass.

``validate_data(event, Model)`` gives ``Model`` built from the event's data,
or raises :class:`~cloudevents_wsgi.InvalidEventError` (400) naming the
failing field as a path into the data (``data.s3.object.size``,
``data.items[2]``). The framework helpers build on it:
``cloudevent_required(data=Model)`` (Django, Flask) and
``EventRouter.on(..., data=Model)``; the validated object is then at
``environ["cloudevents_wsgi.data"]`` (:data:`DATA`), and
:func:`data_of` reads it back with its type.

- A pydantic model (pydantic 2, the ``pydantic`` extra) is validated by
  pydantic itself (``model_validate``, or ``model_validate_json`` for data
  that arrived as text or bytes); the first of its errors is reported.
- A dataclass (standard library) is checked by hand: the data must be a JSON
  object with no member that is not a field, every field without a default,
  and, for fields annotated with a simple type (``str``, ``int``, ``float``,
  ``bool``, ``None``, ``list[...]``, ``dict[str, ...]``, ``X | None``, a
  nested dataclass), a value of that type; other annotations, and names that
  cannot be resolved (a class defined inside a function, annotated as a
  string), are not checked.
  Hand-written because the standard library has no validator for dataclasses.

pydantic is imported only when a pydantic model is given.
"""

from __future__ import annotations

import dataclasses
import json
import sys
import types
import typing
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Final, TypeVar, Union

from .errors import ConfigurationError, InvalidEventError
from .event import CloudEvent

if TYPE_CHECKING:
    from _typeshed.wsgi import WSGIEnvironment

__all__ = ["DATA", "check_model", "data_of", "validate_data"]

#: The environ key that holds the validated data of the event.
DATA: Final = "cloudevents_wsgi.data"

T = TypeVar("T")


def check_model(model: Any) -> None:
    """Raise :class:`ConfigurationError` unless ``model`` is a pydantic model
    class or a dataclass (checked when a decorator or route is declared)."""
    if not isinstance(model, type) or not (_is_pydantic(model) or dataclasses.is_dataclass(model)):
        raise ConfigurationError(
            f"data must be a pydantic model class or a dataclass, not {model!r}"
        )


def validate_data(event: CloudEvent, model: type[T]) -> T:
    """The event's data as a ``model`` instance.

    Raises :class:`InvalidEventError` (status 400) whose ``field`` is
    ``data`` or a path into it (``data.order.id``, ``data.items[0]``) and
    whose ``reason`` says what is wrong; the value itself is not quoted, as
    event data may be private.
    """
    data = event.get_data()
    if _is_pydantic(model):
        return typing.cast(T, _validate_pydantic(model, data))
    if not dataclasses.is_dataclass(model):
        raise ConfigurationError(
            f"data must be a pydantic model class or a dataclass, not {model!r}"
        )
    if isinstance(data, (bytes, bytearray, str)):
        try:
            data = json.loads(data)
        except ValueError:
            raise InvalidEventError(
                "data", f"is not JSON, so it cannot be a {model.__name__}"
            ) from None
    return typing.cast(T, _build(model, data, "data"))


def data_of(environ: WSGIEnvironment | Mapping[str, Any], model: type[T]) -> T:
    """The validated data a helper left at ``environ[DATA]``, typed as ``model``.

    Validates the event now when no helper did (raises as
    :func:`validate_data`); raises :class:`LookupError` when the request
    carries no event.
    """
    value = environ.get(DATA)
    if isinstance(value, model):
        return value
    event = environ.get("cloudevent")
    if not isinstance(event, CloudEvent):
        raise LookupError("the request carries no CloudEvent")
    return validate_data(event, model)


# -- pydantic ---------------------------------------------------------------------


def _is_pydantic(model: Any) -> bool:
    return isinstance(model, type) and callable(getattr(model, "model_validate", None))


def _validate_pydantic(model: Any, data: Any) -> Any:
    from pydantic import ValidationError

    try:
        if isinstance(data, (bytes, bytearray, str)):
            return model.model_validate_json(data)
        return model.model_validate(data)
    except ValidationError as exc:
        first = exc.errors(include_url=False, include_input=False)[0]
        raise InvalidEventError(_path("data", first.get("loc", ())), first["msg"]) from None


def _path(prefix: str, loc: typing.Iterable[Any]) -> str:
    path = prefix
    for part in loc:
        path += f"[{part}]" if isinstance(part, int) else f".{part}"
    return path


# -- dataclasses --------------------------------------------------------------------

_SIMPLE: Final[dict[type, str]] = {
    str: "a string",
    int: "an integer",
    float: "a number",
    bool: "true or false",
    type(None): "null",
}


def _build(model: type, value: Any, field: str) -> Any:
    if not isinstance(value, dict):
        raise InvalidEventError(field, f"is not a JSON object, so it cannot be a {model.__name__}")
    hints = _hints(model)
    fields = {f.name: f for f in dataclasses.fields(model) if f.init}
    for name in value:
        if name not in fields:
            raise InvalidEventError(f"{field}.{name}", f"is not a field of {model.__name__}")
    arguments = {}
    for name, spec in fields.items():
        if name not in value:
            if spec.default is dataclasses.MISSING and spec.default_factory is dataclasses.MISSING:
                raise InvalidEventError(f"{field}.{name}", "is required")
            continue
        arguments[name] = _check(hints.get(name, Any), value[name], f"{field}.{name}")
    return model(**arguments)


def _hints(model: type) -> dict[str, Any]:
    """The fields' annotations, resolved; where one names something that
    cannot be resolved (a class defined inside a function), the others, each
    resolved as ``typing.get_type_hints`` does (evaluated in the module)."""
    try:
        return typing.get_type_hints(model)
    except (NameError, TypeError):
        pass
    module = sys.modules.get(model.__module__)
    namespace = dict(vars(module)) if module is not None else {}
    hints = {}
    for spec in dataclasses.fields(model):
        annotation = spec.type
        if isinstance(annotation, str):
            try:
                annotation = eval(annotation, namespace, {model.__name__: model})
            except Exception:
                continue  # not checked
        hints[spec.name] = annotation
    return hints


def _check(annotation: Any, value: Any, field: str) -> Any:
    """``value`` as the annotation asks (nested dataclasses built), or raise."""
    if annotation is Any:
        return value
    if annotation is None:
        annotation = type(None)
    if isinstance(annotation, type) and dataclasses.is_dataclass(annotation):
        return _build(annotation, value, field)
    if annotation in _SIMPLE:
        if _is_a(annotation, value):
            return value
        raise InvalidEventError(field, f"is not {_SIMPLE[annotation]}")
    origin = typing.get_origin(annotation)
    arguments = typing.get_args(annotation)
    if origin is Union or origin is types.UnionType:
        if value is None and type(None) in arguments:
            return None
        options = [a for a in arguments if a is not type(None)]
        if len(options) == 1:  # X | None: the reason X gives
            return _check(options[0], value, field)
        for option in options:
            try:
                return _check(option, value, field)
            except InvalidEventError:
                continue
        raise InvalidEventError(field, f"is not {_describe(annotation)}")
    if origin is list:
        if not isinstance(value, list):
            raise InvalidEventError(field, "is not a JSON array")
        item = arguments[0] if arguments else Any
        return [_check(item, v, f"{field}[{i}]") for i, v in enumerate(value)]
    if origin is dict:
        if not isinstance(value, dict):
            raise InvalidEventError(field, "is not a JSON object")
        item = arguments[1] if len(arguments) == 2 else Any
        return {k: _check(item, v, f"{field}.{k}") for k, v in value.items()}
    if annotation is list or annotation is dict:
        if isinstance(value, annotation):
            return value
        raise InvalidEventError(
            field, "is not a JSON " + ("array" if annotation is list else "object")
        )
    return value  # not a simple type: not checked (see the module docstring)


def _is_a(simple: type, value: Any) -> bool:
    if simple is bool:
        return value is True or value is False
    if simple is int:
        return isinstance(value, int) and not isinstance(value, bool)
    if simple is float:
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    return isinstance(value, simple)


def _describe(annotation: Any) -> str:
    if annotation in _SIMPLE:
        return _SIMPLE[annotation]
    if isinstance(annotation, type):
        return f"a {annotation.__name__}"
    options = typing.get_args(annotation)
    if options and typing.get_origin(annotation) in (Union, types.UnionType):
        return " or ".join(_describe(o) for o in options)
    return str(annotation)

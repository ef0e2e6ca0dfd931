"""One error base for every rule the domain enforces.

The web layer maps DomainError once: htmx → the fragment with the message (422),
plain browser → the page with the message or a flash + 303.
"""

from __future__ import annotations


class DomainError(Exception):
    """A rule refused the request.

    `message` is an English msgid with optional `%(name)s` placeholders filled from
    `params`, so the web layer can translate it; `field` names the form field it
    concerns, if any.
    """

    status_code = 422

    def __init__(self, message: str, *, field: str | None = None, **params: object) -> None:
        self.message = message
        self.field = field
        self.params = params
        super().__init__(message % params if params else message)


class ValidationFailed(DomainError):
    """Several field errors at once (form validation)."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__("; ".join(errors.values()))
        self.errors = errors
        # field → the values its message's %(name)s placeholders take (after translation)
        self.field_params: dict[str, dict[str, object]] = {}

    @classmethod
    def single(cls, field: str, message: str, **params: object) -> ValidationFailed:
        failure = cls({field: message})
        if params:
            failure.field_params = {field: params}
        return failure


class NotFound(DomainError):
    status_code = 404


class PermissionDenied(DomainError):
    status_code = 403


class Conflict(DomainError):
    status_code = 409


class InvalidTransition(DomainError):
    """A state machine refused a transition."""


class ConfigurationError(RuntimeError):
    """Settings are unusable; raised at start-up."""

"""ARM error responses: ``{"error": {"code", "message"}}`` with an HTTP status."""

from __future__ import annotations

from typing import Any


class ArmError(Exception):
    """An error the simulator answers the way ARM would."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        details: list[dict[str, Any]] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(f"({code}) {message}")
        self.status = status
        self.code = code
        self.message = message
        self.details = details or []
        self.headers = headers or {}

    def body(self) -> dict[str, Any]:
        """The JSON body ARM sends."""
        err: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.details:
            err["details"] = self.details
        return {"error": err}


def bad_request(code: str, message: str) -> ArmError:
    """HTTP 400 with an ARM error body."""
    return ArmError(400, code, message)


def not_found(what: str, code: str = "ResourceNotFound") -> ArmError:
    """HTTP 404 the way ARM words it."""
    return ArmError(404, code, f"The Resource '{what}' was not found.")

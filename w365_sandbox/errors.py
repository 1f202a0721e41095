"""Errors raised by route handlers; the server renders them in the shape of the service that was called."""

from __future__ import annotations


class ApiError(Exception):
    """A Graph or ARM error: rendered as {"error": {"code", "message", ...}} by the server."""

    def __init__(self, status: int, code: str, message: str, headers: dict | None = None):
        super().__init__(f"{status} {code}: {message}")
        self.status = status
        self.code = code
        self.message = message
        self.headers = headers or {}


class EntraError(Exception):
    """An Entra ID sign-in error (OAuth2 error shape with AADSTS codes)."""

    def __init__(self, status: int, error: str, aadsts: int, description: str):
        super().__init__(f"{status} {error}: AADSTS{aadsts}")
        self.status = status
        self.error = error
        self.aadsts = aadsts
        self.description = description


def not_found_graph(what: str, key: str) -> ApiError:
    return ApiError(404, "ResourceNotFound", f"The {what} '{key}' was not found.")


def bad_request_graph(message: str) -> ApiError:
    return ApiError(400, "BadRequest", message)

"""What a plugin builds its /api/v1 endpoints with: the API's blueprint factory (bearer tokens, no
cookies, no CSRF, JSON errors) and the decorator that declares each endpoint's access rule. The
OpenAPI part comes from the plugin's ``lms_api_paths`` (:class:`lms.plugins.types.ApiPaths`)."""

from __future__ import annotations

from lms.api.tokens import api_blueprint, token_required

__all__ = ["api_blueprint", "token_required"]

"""A stand-in for Entra ID's client-credentials token endpoint and BC's bearer check.

`POST /{tenant}/oauth2/v2.0/token` takes a client secret or a client assertion (a JWT signed with the
configured certificate's key, RS256 or PS256, as MSAL sends it) and returns an expiring token; bad
requests get Entra-shaped errors (AADSTS codes). API routes answer 401 for a missing, forged or
expired token. Tokens are HS256 JWTs signed with a key of this run, so they can be decoded but not
forged, and expiry follows the simulator's clock.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import uuid
from collections.abc import Mapping
from typing import Any

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from local.bc_sim.clock import SimClock
from local.bc_sim.config import BcSimConfig
from local.bc_sim.errors import BcError

ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
BC_AUDIENCE = "https://api.businesscentral.dynamics.com"
CLOCK_SKEW_SECONDS = 300


class TokenError(Exception):
    """An Entra error reply: status, OAuth error, AADSTS code and description."""

    def __init__(self, status: int, error: str, code: int, description: str) -> None:
        super().__init__(description)
        self.status, self.error, self.code, self.description = status, error, code, description

    def body(self, clock: SimClock) -> dict[str, Any]:
        trace, correlation = str(uuid.uuid4()), str(uuid.uuid4())
        stamp = clock.now().strftime("%Y-%m-%d %H:%M:%SZ")
        return {
            "error": self.error,
            "error_description": f"AADSTS{self.code}: {self.description} Trace ID: {trace} Correlation ID:"
            f" {correlation} Timestamp: {stamp}",
            "error_codes": [self.code],
            "timestamp": stamp,
            "trace_id": trace,
            "correlation_id": correlation,
            "error_uri": f"https://login.microsoftonline.com/error?code={self.code}",
        }


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class Auth:
    def __init__(self, config: BcSimConfig) -> None:
        self.config = config
        self.clock = config.clock
        self._key = secrets.token_bytes(32)
        self._certificate_key: rsa.RSAPublicKey | None = None
        if config.client_certificate_file is not None:
            cert = x509.load_pem_x509_certificate(config.client_certificate_file.read_bytes())
            public = cert.public_key()
            if not isinstance(public, rsa.RSAPublicKey):
                raise ValueError("the client certificate must hold an RSA key (Entra requires RSA)")
            self._certificate_key = public

    # --- the token endpoint ------------------------------------------------------------------------
    def issue(self, tenant: str, form: Mapping[str, str], token_url: str) -> dict[str, Any]:
        """The token reply for a client-credentials request, or TokenError."""
        if tenant.casefold() != self.config.tenant.casefold():
            raise TokenError(400, "invalid_request", 90002, f"Tenant '{tenant}' not found.")
        if form.get("grant_type") != "client_credentials":
            raise TokenError(
                400, "unsupported_grant_type", 70003, "The app requested an unsupported grant type."
            )
        scope = form.get("scope", "")
        if not scope:
            raise TokenError(400, "invalid_request", 90014, "The required field 'scope' is missing.")
        if scope.split() != [self.config.scope]:
            raise TokenError(
                400, "invalid_scope", 1002012, f"The provided value for scope {scope} is not valid."
            )
        client_id = self._authenticate_client(form, token_url)
        return {
            "token_type": "Bearer",
            "expires_in": int(self.config.token_lifetime_seconds),
            "ext_expires_in": int(self.config.token_lifetime_seconds),
            "access_token": self.token_for(client_id),
        }

    def _authenticate_client(self, form: Mapping[str, str], token_url: str) -> str:
        clients = self.config.clients()
        if "client_assertion" in form:
            return self._check_assertion(form, token_url)
        client_id = form.get("client_id", "")
        if client_id not in clients:
            raise TokenError(
                400,
                "unauthorized_client",
                700016,
                f"Application with identifier '{client_id}' was not found in the directory.",
            )
        secret = form.get("client_secret", "")
        if not secret:
            raise TokenError(
                401,
                "invalid_client",
                7000218,
                "The request body must contain the following parameter: 'client_assertion' or"
                " 'client_secret'.",
            )
        if not hmac.compare_digest(secret.encode(), clients[client_id].encode()):
            raise TokenError(
                401,
                "invalid_client",
                7000215,
                "Invalid client secret provided. Ensure the secret being sent in the request is the client"
                f" secret value, not the client secret ID, for a secret added to app '{client_id}'.",
            )
        return client_id

    def _check_assertion(self, form: Mapping[str, str], token_url: str) -> str:
        """A certificate credential: a JWT signed by the configured certificate's key (RS256/PS256)."""
        if form.get("client_assertion_type") != ASSERTION_TYPE:
            raise TokenError(400, "invalid_request", 50027, "Invalid client_assertion_type.")
        bad_signature = TokenError(
            401, "invalid_client", 700027, "Client assertion failed signature validation."
        )
        try:
            header_b64, payload_b64, signature_b64 = form["client_assertion"].split(".")
            header = json.loads(_unb64(header_b64))
            claims = json.loads(_unb64(payload_b64))
            signature = _unb64(signature_b64)
        except ValueError:
            raise TokenError(
                400, "invalid_request", 50027, "Invalid JWT token: the assertion is malformed."
            ) from None
        if self._certificate_key is None or not isinstance(header, dict) or not isinstance(claims, dict):
            raise bad_signature
        chosen: padding.AsymmetricPadding
        if header.get("alg") == "RS256":
            chosen = padding.PKCS1v15()
        elif header.get("alg") == "PS256":
            chosen = padding.PSS(mgf=padding.MGF1(hashes.SHA256()), salt_length=padding.PSS.AUTO)
        else:
            raise bad_signature
        try:
            self._certificate_key.verify(
                signature, f"{header_b64}.{payload_b64}".encode(), chosen, hashes.SHA256()
            )
        except InvalidSignature:
            raise bad_signature from None
        client_id = str(claims.get("iss", ""))
        if client_id != self.config.client_id or claims.get("sub") != client_id:
            raise TokenError(
                401, "invalid_client", 700021, "Client assertion application identifier doesn't match."
            )
        if form.get("client_id", client_id) != client_id:
            raise TokenError(
                401, "invalid_client", 700021, "The client_id does not match the assertion's issuer."
            )
        if str(claims.get("aud", "")).rstrip("/") != token_url:
            raise TokenError(401, "invalid_client", 700212, f"The assertion's audience must be {token_url}.")
        now = self.clock.timestamp()
        expiry, not_before = claims.get("exp"), claims.get("nbf", 0)
        if not isinstance(expiry, int | float) or not isinstance(not_before, int | float):
            raise TokenError(401, "invalid_client", 700024, "Client assertion contains invalid time claims.")
        if expiry < now - CLOCK_SKEW_SECONDS or not_before > now + CLOCK_SKEW_SECONDS:
            raise TokenError(
                401, "invalid_client", 700024, "Client assertion is not within its valid time range."
            )
        return client_id

    def token_for(self, client_id: str) -> str:
        now = int(self.clock.timestamp())
        claims = {
            "aud": BC_AUDIENCE,
            "iss": f"https://sts.windows.net/{self.config.tenant}/",
            "iat": now,
            "nbf": now,
            "exp": now + int(self.config.token_lifetime_seconds),
            "appid": client_id,
            "tid": self.config.tenant,
            "roles": ["API.ReadWrite.All"],
            "jti": uuid.uuid4().hex,
        }
        signing_input = (
            _b64(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
            + "."
            + _b64(json.dumps(claims).encode())
        )
        return (
            signing_input + "." + _b64(hmac.new(self._key, signing_input.encode(), hashlib.sha256).digest())
        )

    # --- API routes --------------------------------------------------------------------------------
    def authenticate(self, authorization: str | None, base_url: str) -> str:
        """The principal (client id) a bearer token speaks for, or BC's 401."""
        if not authorization or not authorization.startswith("Bearer "):
            raise self._unauthorized(base_url, "The request has no bearer token.")
        token = authorization[len("Bearer ") :].strip()
        try:
            signing_input, signature = token.rsplit(".", 1)
            expected = _b64(hmac.new(self._key, signing_input.encode(), hashlib.sha256).digest())
            if not hmac.compare_digest(signature, expected):
                raise ValueError("bad signature")
            claims = json.loads(_unb64(signing_input.split(".")[1]))
        except (ValueError, IndexError):
            raise self._unauthorized(base_url, "The access token is invalid.") from None
        if claims.get("exp", 0) <= self.clock.timestamp():
            raise self._unauthorized(base_url, "The access token is expired.")
        return str(claims["appid"])

    def _unauthorized(self, base_url: str, reason: str) -> BcError:
        challenge = (
            f'Bearer authorization_uri="{base_url}/{self.config.tenant}/oauth2/authorize",'
            f' error="invalid_token", error_description="{reason}"'
        )
        return BcError(
            401,
            "Authentication_InvalidCredentials",
            f"The server has rejected the client credentials. {reason}",
            {"WWW-Authenticate": challenge},
        )

    def openid_configuration(self, base_url: str) -> dict[str, Any]:
        tenant = self.config.tenant
        return {
            "issuer": f"{base_url}/{tenant}/v2.0",
            "token_endpoint": f"{base_url}/{tenant}/oauth2/v2.0/token",
            "authorization_endpoint": f"{base_url}/{tenant}/oauth2/v2.0/authorize",
            "jwks_uri": f"{base_url}/{tenant}/discovery/v2.0/keys",
            "token_endpoint_auth_methods_supported": ["client_secret_post", "private_key_jwt"],
            "response_types_supported": ["code", "token"],
            "subject_types_supported": ["pairwise"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "tenant_region_scope": "EU",
        }

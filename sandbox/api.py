"""Base of the emulated JSON/CBOR services: dispatch by operation name, validation against
botocore's service model, and AWS-shaped errors."""

import base64
import logging
import re
from datetime import UTC, datetime

import botocore.session

from sandbox import wire

log = logging.getLogger("sandbox")

_session_lock = __import__("threading").Lock()
_session = None


def service_model(name: str):
    global _session
    with _session_lock:
        if _session is None:
            _session = botocore.session.get_session()
        return _session.get_service_model(name)


class AwsErrorResponse(Exception):
    """An error AWS answers with: `code` is the exception name, e.g. DeploymentDoesNotExistException."""

    def __init__(self, code: str, message: str = "", status: int = 400):
        super().__init__(message or code)
        self.code = code
        self.message = message or code
        self.status = status


def snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


class JsonApi:
    """Subclasses set `botocore_name` and define one method per operation, named in snake case,
    taking (region_state, params) and returning the output dict."""

    botocore_name = ""
    validation_error = "ValidationException"

    def __init__(self, world):
        self.world = world
        self.model = service_model(self.botocore_name)
        self.target_prefix = self.model.metadata["targetPrefix"]

    def handle(self, req: wire.AwsRequest, start_response):
        try:
            try:
                params = wire.decode_body(req.protocol, req.body)
            except ValueError as exc:
                raise AwsErrorResponse("SerializationException", f"Could not parse the request body: {exc}") from exc
            if not isinstance(params, dict):
                raise AwsErrorResponse("SerializationException", "The request body must be an object")
            result = self.call(req.operation, params, req.region, req.account)
            body, headers = wire.encode_body(req.protocol, result or {})
            return wire.respond(start_response, 200, body, headers)
        except AwsErrorResponse as err:
            return wire.error_response(start_response, req, err.code, err.message, err.status)
        except Exception as exc:  # noqa: BLE001 - answer a JSON InternalFailure, never an HTML 500
            log.exception("emulated %s.%s failed", self.botocore_name, req.operation)
            return wire.error_response(start_response, req, "InternalFailure", f"sandbox error: {exc}", 500)

    def call(self, operation: str, params: dict, region: str, account: str) -> dict:
        method = getattr(self, snake(operation), None) if operation in self.model.operation_names else None
        if method is None:
            raise AwsErrorResponse(
                "UnknownOperationException",
                f"The sandbox does not emulate {self.model.metadata['serviceId']} operation {operation}",
            )
        op_model = self.model.operation_model(operation)
        params = self._check(op_model, op_model.input_shape, params, "")
        with self.world.lock:
            try:
                return method(self.world.region(account, region), params)
            except KeyError as exc:
                # A member the model leaves optional but the operation needs (AWS: <Member>RequiredException).
                member = exc.args[0] if exc.args else None
                if op_model.input_shape is not None and member in op_model.input_shape.members:
                    raise self._required_error(op_model, member) from exc
                raise

    # ---- validation --------------------------------------------------------------------------

    def _required_error(self, op_model, member: str) -> AwsErrorResponse:
        name = member[0].upper() + member[1:] + "RequiredException"
        known = {e.name for e in op_model.error_shapes}
        if name in known:
            return AwsErrorResponse(name, f"{member} is required")
        return AwsErrorResponse(
            self.validation_error,
            f"1 validation error detected: Value null at '{member}' failed "
            "to satisfy constraint: Member must not be null",
        )

    def _invalid_error(self, op_model, path: str, shape) -> str:
        """AWS's own exception for a bad value where it has one (InvalidDeploymentWaitTypeException...)."""
        member = path.split(".")[-1] if path else ""
        known = {e.name for e in op_model.error_shapes}
        for name in (member, shape.name):
            candidate = f"Invalid{name[:1].upper()}{name[1:]}Exception" if name else ""
            if candidate in known:
                return candidate
        return "InvalidInputException" if "InvalidInputException" in known else self.validation_error

    def _check(self, op_model, shape, value, path: str):
        """Check required members and basic types; decode blobs and timestamps. Returns the clean value."""
        if shape is None:
            return {}
        kind = shape.type_name
        where = path or "request"
        if value is None:
            return None
        if kind == "structure":
            if not isinstance(value, dict):
                raise AwsErrorResponse("SerializationException", f"{where} must be an object")
            out = {}
            for name in shape.required_members:
                if value.get(name) is None:
                    raise self._required_error(op_model, name)
            for name, item in value.items():
                member = shape.members.get(name)
                if member is None or item is None:
                    continue
                out[name] = self._check(op_model, member, item, f"{path}.{name}" if path else name)
            return out
        if kind == "list":
            if not isinstance(value, list):
                raise AwsErrorResponse("SerializationException", f"{where} must be a list")
            return [self._check(op_model, shape.member, v, where) for v in value]
        if kind == "map":
            if not isinstance(value, dict):
                raise AwsErrorResponse("SerializationException", f"{where} must be a map")
            return {k: self._check(op_model, shape.value, v, where) for k, v in value.items()}
        if kind == "string":
            if not isinstance(value, str):
                raise AwsErrorResponse("SerializationException", f"{where} must be a string")
            enum = shape.enum
            if enum and value not in enum:
                raise AwsErrorResponse(
                    self._invalid_error(op_model, path, shape),
                    f"1 validation error detected: Value '{value}' at '{where}' failed to satisfy constraint: "
                    f"Member must satisfy enum value set: [{', '.join(enum)}]",
                )
            return value
        if kind in ("integer", "long"):
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise AwsErrorResponse("SerializationException", f"{where} must be a number")
            return int(value)
        if kind in ("float", "double"):
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise AwsErrorResponse("SerializationException", f"{where} must be a number")
            return float(value)
        if kind == "boolean":
            if not isinstance(value, bool):
                raise AwsErrorResponse("SerializationException", f"{where} must be a boolean")
            return value
        if kind == "blob":
            if isinstance(value, str):
                try:
                    return base64.b64decode(value, validate=True)
                except ValueError as exc:
                    raise AwsErrorResponse("SerializationException", f"{where} must be base64") from exc
            return bytes(value)
        if kind == "timestamp":
            if isinstance(value, datetime):
                return value
            if isinstance(value, int | float):
                return datetime.fromtimestamp(value, UTC)
            raise AwsErrorResponse("SerializationException", f"{where} must be a timestamp")
        return value

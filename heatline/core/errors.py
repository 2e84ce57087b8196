"""Domain errors. Each maps to one HTTP status, once, in `heatline/api.py` (and in the HTMX views)."""

from django.utils.translation import gettext_lazy as _


class DomainError(Exception):
    """Base of every rule violation a user can cause. `message` is shown to the user as is."""

    status = 400
    code = "error"

    def __init__(self, message: object = "", *, field: str | None = None) -> None:
        self.message = str(message) if message else str(self.default_message())
        self.field = field
        super().__init__(self.message)

    def default_message(self) -> object:
        return _("操作失败")


class InvalidInput(DomainError):
    """422: the input breaks a rule (missing, out of range, unknown code)."""

    status = 422
    code = "invalid"

    def default_message(self) -> object:
        return _("输入无效")


class ActionForbidden(DomainError):
    """403: this user may not do this."""

    status = 403
    code = "forbidden"

    def default_message(self) -> object:
        return _("您无权执行此操作")


class NotVisible(DomainError):
    """404: the object does not exist or lies outside the viewer's area (the two are not told apart)."""

    status = 404
    code = "not_found"

    def default_message(self) -> object:
        return _("未找到,或不在您的管辖范围内")


class TransitionNotAllowed(DomainError):
    """409: the action does not apply in the current state (or someone else acted first)."""

    status = 409
    code = "conflict"

    def __init__(self, state: object = "", action: object = "", message: object = "") -> None:
        self.state = str(state)
        self.action = str(action)
        super().__init__(
            message or _("当前状态“%(state)s”下不能执行“%(action)s”") % {"state": state, "action": action}
        )


class Conflict(DomainError):
    """409: a concurrent change or a duplicate."""

    status = 409
    code = "conflict"

    def default_message(self) -> object:
        return _("数据已被他人修改,请刷新后重试")


def out_of_range_input(error: BaseException) -> tuple[int, str] | None:
    """(status, message) when a database or parser error was caused by the client's input, else None.

    Numbers a client may send are not bounded by each endpoint: an id or a page beyond 64 bits overflows
    SQLite (OverflowError, or "datatype mismatch" for a computed OFFSET), one beyond PostgreSQL's integer
    or bigint raises "out of range"; PostgreSQL refuses a NUL character in text; a multipart body without
    a valid boundary cannot be parsed. The API's exception handlers and the pages' middleware both ask
    here, so the answer is a clear 4xx in one place.
    """
    from django.db import DataError, IntegrityError
    from django.http.multipartparser import MultiPartParserError

    if isinstance(error, MultiPartParserError):
        return 400, str(_("请求体格式无效(multipart 边界缺失或错误)"))
    message = str(error).lower()
    if (
        isinstance(error, OverflowError)
        or (isinstance(error, IntegrityError) and "datatype mismatch" in message)
        or (isinstance(error, DataError) and "out of range" in message)
    ):
        return 422, str(_("数值超出允许范围"))
    if isinstance(error, ValueError) and ("NUL" in str(error) or "\\x00" in message):
        return 422, str(_("文本中不能包含空字符(0x00)"))  # PostgreSQL cannot store NUL in text
    return None

"""Every model, imported once so metadata (and Alembic) sees all tables."""
from feedback.accounts.models import ApiToken, User  # noqa: F401
from feedback.calendar.models import CalendarDay, CalendarVersion  # noqa: F401
from feedback.directory.models import Property, RoutingRule, Unit, UnitsVersion  # noqa: F401
from feedback.exports.models import ExportJob  # noqa: F401
from feedback.exports.notice_models import NoticeCutoff  # noqa: F401
from feedback.tickets.models import DuplicateFlag, Ticket, TicketEvent  # noqa: F401
from feedback.notices.models import Notification  # noqa: F401
from feedback.imports.models import ImportJob, ImportRow  # noqa: F401
from feedback.accounts.throttle import LoginThrottle  # noqa: F401
from feedback.figures.models import SettledMonthCount  # noqa: F401
from feedback.tickets.handoffs import HandOff  # noqa: F401
from feedback.tickets.handback import PlatformDelivery  # noqa: F401
from feedback.settings.models import SettingChange  # noqa: F401
from feedback.attachments.models import Attachment  # noqa: F401
from feedback.knowledge.models import ReplyTemplate, TemplateUse  # noqa: F401
from feedback.findings.models import Finding, FindingEvent  # noqa: F401

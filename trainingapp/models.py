"""Every feature's models in one import (for Alembic and the shell)."""
from .agencies.models import Agency, Person, Role, Sector  # noqa: F401
from .attendance.models import TrainingRecord  # noqa: F401
from .audit import AuditEntry  # noqa: F401
from .bookings.models import (  # noqa: F401
    Attendance,
    Booking,
    BookingRequest,
    BookingStatus,
    RequestStatus,
)
from .courses.models import (  # noqa: F401
    Course,
    Level,
    SessionDay,
    SessionStatus,
    TrainingSession,
    Venue,
    course_prerequisites,
    session_trainers,
)
from .mail.models import OutboxMessage  # noqa: F401

"""Unbound extension objects, bound to the app in ``create_app``.

Keeping them here (not in ``__init__``) lets every feature import ``db``
without circular imports.
"""
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_talisman import Talisman
from flask_wtf.csrf import CSRFProtect
from sqlalchemy import MetaData
from sqlalchemy.orm import DeclarativeBase

# Named constraints so Alembic can drop and alter them, on SQLite (batch mode)
# as well as on PostgreSQL.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


db = SQLAlchemy(model_class=Base)
migrate = Migrate(render_as_batch=True, compare_type=True)

login_manager = LoginManager()
csrf = CSRFProtect()
# Storage is chosen in create_app: Redis when REDIS_URL is set (limits hold
# across every worker), otherwise in-process memory.
limiter = Limiter(key_func=get_remote_address)
talisman = Talisman()

"""The Flask extensions, created unbound and initialised by the app factory."""
from flask_login import LoginManager
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect

from processes.db import Base

# The models are the core's plain SQLAlchemy models; Flask-SQLAlchemy only manages the session per request.
db = SQLAlchemy(model_class=Base, session_options={"expire_on_commit": False})
login_manager = LoginManager()
csrf = CSRFProtect()

from flask import render_template

from ..access import public
from . import bp


@bp.get("/")
@public
def home():
    """What to do next, for each role (and for visitors)."""
    return render_template("main/home.html")


@bp.get("/accessibility")
@public
def accessibility():
    return render_template("main/accessibility.html")


@bp.get("/privacy")
@public
def privacy():
    return render_template("main/privacy.html")


@bp.get("/contact")
@public
def contact():
    return render_template("main/contact.html")

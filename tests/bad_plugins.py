"""Plugins that must not start: each breaks one rule of the plugin contract."""

from flask import Blueprint

from lms.plugins import hookimpl


class WrongBlueprintName:
    @staticmethod
    @hookimpl
    def lms_blueprints():
        return [Blueprint("somebody_else", __name__)]


class UnknownHook:
    @staticmethod
    @hookimpl
    def lms_no_such_hook():
        return []


wrong_blueprint_name = WrongBlueprintName()
unknown_hook = UnknownHook()

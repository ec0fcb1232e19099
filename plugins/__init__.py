"""Plugins shipped with Tolok; each is loaded through the ``lms.plugins`` entry-point group."""

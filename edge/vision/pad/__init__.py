"""Presentation-attack detection (PAD, ISO/IEC 30107-3): is the face at the door a live person?

Each method is a small plug-in (see :mod:`edge.vision.pad.base`) that scores a *track* of frames.
"""

"""Capture: frame sources (picamera2, OpenCV, a folder of images) behind one interface."""

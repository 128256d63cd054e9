"""Vision: detect, align, describe and quality gates on each frame (PAD per track: ``pad``)."""

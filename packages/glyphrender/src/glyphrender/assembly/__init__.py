"""Generated bitmaps back into fonts: tracing bitmaps into outlines
(:mod:`~glyphrender.assembly.trace`), adding them to a copy of a base font
(:mod:`~glyphrender.assembly.assemble`), and specimen images of the result
(:mod:`~glyphrender.assembly.specimen`).
"""

"""The desktop app (PySide6): thin views over the engine; every engine call runs as a background operation."""

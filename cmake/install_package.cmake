# Installed later by the packaging step.

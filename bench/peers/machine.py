"""The machine a peer script ran on, as the JSON it writes names it (one place for all of them)."""
import platform
import subprocess


def cpu_model() -> str:
    """lscpu's "Model name" (e.g. "AMD EPYC"), else whatever the platform module knows."""
    try:
        out = subprocess.run(["lscpu"], capture_output=True, text=True).stdout
        for line in out.splitlines():
            if line.startswith("Model name:"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor()

"""nbval runs each notebook in a kernel started from this process's environment: give it the inline backend.

With ``MPLBACKEND=Agg`` (or a GUI backend) set in the shell, ``plt.show()`` would draw
nothing, and the committed figures' cells would no longer match.
"""

import os

os.environ["MPLBACKEND"] = "module://matplotlib_inline.backend_inline"

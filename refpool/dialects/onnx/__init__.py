"""ONNX operators over refpool's core operators.

Each function is named as the ONNX operator, takes the node's inputs positionally
(NumPy arrays in ONNX's ``(N, C, *spatial)`` layout) and its attributes as keywords
with ONNX's names and defaults, and returns what the node returns (a tuple when the
node has several outputs).  Attribute validation follows the ONNX specification;
where the specification is ambiguous or its reference implementation disagrees
with it, the function's docstring states refpool's reading.

The modules follow refpool's families: ``pooling`` (MaxPool, AveragePool, LpPool,
the Global pools), ``shuffle`` (DepthToSpace, SpaceToDepth), ``unpooling``
(MaxUnpool), ``region_pooling`` (RoiAlign, MaxRoiPool), ``sampling`` (GridSample,
AffineGrid), ``resize`` (Resize, Upsample).
"""

from .shuffle import DepthToSpace, SpaceToDepth
from .unpooling import MaxUnpool
from .region_pooling import MaxRoiPool, RoiAlign
from .pooling import (AveragePool, GlobalAveragePool, GlobalLpPool, GlobalMaxPool, LpPool,
                      MaxPool)
from .sampling import AffineGrid, GridSample
from .resize import Resize, Upsample

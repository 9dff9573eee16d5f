"""The CPU engines' row walker (refpool/engines/cpu/_rows.py) against NumPy's unravel.

Every parallel chunk of an interpolation or antialiasing kernel unravels its
first output row and steps on with ``next_row``; a slip at an axis boundary
would write a whole row to the wrong place, so both functions are checked
against ``np.unravel_index`` over every row of grids that carry over each axis.
"""

import numpy as np
import pytest

from refpool.engines.cpu._rows import next_row, unravel_row


@pytest.mark.parametrize("grid", [(1, 1, 1, 1), (2, 3, 1, 4), (3, 1, 2, 1), (2, 2, 3, 5),
                                  (1, 4, 1, 1)])
def test_unravel_and_step_match_numpy(grid):
    N, C, OD, OH = grid
    rows = N * C * OD * OH
    expected = np.stack(np.unravel_index(np.arange(rows), grid), axis=1).tolist()
    assert [list(unravel_row(r, C, OD, OH)) for r in range(rows)] == expected
    walked = [list(unravel_row(0, C, OD, OH))]
    for _ in range(rows - 1):
        walked.append(list(next_row(*walked[-1], C, OD, OH)))
    assert walked == expected

"""refpool.dask on a distributed.LocalCluster: worker processes on loopback, started
and closed by the test, give the in-memory results (the task functions pickle,
the halo strips travel between workers, the field types too)."""

import numpy as np
import pytest

da = pytest.importorskip("dask.array")
distributed = pytest.importorskip("distributed")

import refpool  # noqa: E402
import refpool.dask as rd  # noqa: E402
from helpers import assert_close, assert_same, random_input  # noqa: E402
from refpool import FieldType  # noqa: E402
from refpool.groups import dihedral  # noqa: E402


@pytest.fixture(scope="module")
def client():
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=":0", host="127.0.0.1",
                                  memory_limit="1GiB", env={"NUMBA_NUM_THREADS": "1"}
                                  ) as cluster, distributed.Client(cluster) as c:
        yield c


def test_two_worker_processes(client):
    assert len(client.scheduler_info()["workers"]) == 2


def test_every_operator_on_the_cluster(client):
    x = random_input((2, 3, 21, 19), np.float32, seed=11, specials=True)
    xd = da.from_array(x, chunks=(1, 2, (7, 1, 9, 4), (5, 5, 9)))
    exact = [("max_pool", (3, 2, 1), dict(return_indices=True)),
             ("max_pool", (2,), dict(dilation=2, ceil_mode=True)),
             ("adaptive_max_pool", ((5, 4),), dict(return_indices=True)),
             ("interpolate", (), dict(scale_factor=1.5, mode="nearest"))]
    close = [("avg_pool", (3, 2, 1), dict(ceil_mode=True, count_include_pad=False)),
             ("adaptive_avg_pool", (6,), {}),
             ("antialiased_avg_pool", (1.0, 2), {}),
             ("antialiased_max_pool", (3, 2, 1), dict(sigma=0.8)),
             ("blur_pool", (5, 2, "reflect"), {}),
             ("interpolate", (), dict(size=(30, 10), mode="bicubic"))]
    graphs = [getattr(rd, op)(xd, *args, **kw) for op, args, kw in exact + close]
    flat = [g for item in graphs for g in (item if isinstance(item, tuple) else (item,))]
    results = iter(client.compute(flat, sync=True))
    for (op, args, kw), item in zip(exact + close, graphs):
        expected = getattr(refpool, op)(x, *args, **kw)
        for e in expected if isinstance(expected, tuple) else (expected,):
            got = next(results)
            if (op, args, kw) in exact:
                assert_same(got, e)
            else:
                assert_close(got, e)


def test_field_operators_on_the_cluster(client):
    D = dihedral(4)
    ft = FieldType(D, [D.regular_representation, D.irrep(1, 1), D.trivial_representation,
                       D.regular_representation])
    x = random_input((2, ft.size, 12, 10), np.float64, seed=5)
    xd = da.from_array(x, chunks=(1, 5, 5, (3, 7)))
    y = rd.norm_max_pool(xd, ft, 3, 2, 1)
    z = rd.norm_pool(xd, ft)
    got_y, got_z = client.compute([y, z], sync=True)
    assert_same(got_y, refpool.norm_max_pool(x, ft, 3, 2, 1))
    assert_same(got_z, refpool.norm_pool(x, ft))

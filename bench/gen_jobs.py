#!/usr/bin/env python3
"""Generate TiDB logs with many DDL jobs and little else: the job-count benchmark (issue 14).

Writes OUTDIR/tidb-<i>.log for --instances instances. Every job is submitted, run and finished
in three lines on one instance; one in 100 fails on a transient error and rolls back (so rules
fire); every instance but the last opens a store with a `new domain` line, so both store-keyed
and store-less jobs are merged at the end, which is where the old quadratic step was.
Usage: gen_jobs.py OUTDIR --jobs 100000 [--instances 3]
"""
import argparse, datetime as dt, os

def ts(t):
    return t.strftime("%Y/%m/%d %H:%M:%S.") + f"{t.microsecond // 1000:03d} +08:00"

def job_str(jid, state, schema_state, err, errcount, start):
    return (f'ID:{jid}, Type:add index, State:{state}, SchemaState:{schema_state}, SchemaID:104, '
            f'TableID:{1000 + jid % 5000}, RowCount:{jid % 977}, ArgLen:0, start time: {start}, '
            f'Err:{err}, ErrCount:{errcount}, SnapshotVersion:446993211166556275')

def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("outdir")
    ap.add_argument("--jobs", type=int, required=True)
    ap.add_argument("--instances", type=int, default=3)
    a = ap.parse_args()
    os.makedirs(a.outdir, exist_ok=True)
    t0 = dt.datetime(2024, 1, 13, 0, 0, 0, tzinfo=dt.timezone(dt.timedelta(hours=8)))
    files = [open(os.path.join(a.outdir, f"tidb-{i}.log"), "w", buffering=1 << 20)
             for i in range(a.instances)]
    for i, f in enumerate(files[:-1]):
        f.write(f'[{ts(t0)}] [INFO] [tidb.go:71] ["new domain"] [store=store-{i}] ["ddl lease"=45s]\n')
    step = dt.timedelta(milliseconds=7)
    err = "[tikv:9005]Region is unavailable"
    for jid in range(1, a.jobs + 1):
        f = files[jid % a.instances]
        t = t0 + step * (3 * jid)
        start = t.strftime('%Y-%m-%d %H:%M:%S.%f')[:-4] + ' +0800 CST'
        w = f'[worker="worker 1, tp add index"] [category=ddl] [jobID={jid}] [conn={jid + 100000}]'
        f.write(f'[{ts(t)}] [INFO] [ddl.go:1068] ["DDL job submitted"] [category=ddl] [jobID={jid}] '
                f'[query="alter table t{jid % 5000} add index idx_{jid} (c)"]\n')
        t += step
        if jid % 100 == 0:
            f.write(f'[{ts(t)}] [WARN] [ddl_worker.go:1118] ["run DDL job error"] {w} [error="{err}"]\n')
            t += step
            f.write(f'[{ts(t)}] [INFO] [ddl_worker.go:611] ["finish DDL job"] {w} '
                    f'[job="{job_str(jid, "rollback done", "none", err, 511, start)}"]\n')
        else:
            f.write(f'[{ts(t)}] [INFO] [ddl_worker.go:1156] ["run DDL job"] {w} '
                    f'[job="{job_str(jid, "running", "write only", "<nil>", 0, start)}"]\n')
            t += step
            f.write(f'[{ts(t)}] [INFO] [ddl_worker.go:611] ["finish DDL job"] {w} '
                    f'[job="{job_str(jid, "synced", "public", "<nil>", 0, start)}"]\n')
    for f in files:
        f.close()

if __name__ == "__main__":
    main()

"""Experiment: do static MiniLM token vectors added to the n-gram features help?
Trains every policy head + any, n-gram only vs n-gram + static embedding; reports held-out
F1/FPR per head and on the policy's acceptance examples."""
import sys, json, time
from pathlib import Path
ROOT = Path(__file__).resolve().parents[2]
OUT = ROOT / "training" / "out" / "static"
sys.path.insert(0, str(ROOT / "src"))
import numpy as np
from scipy.sparse import hstack, csr_matrix
from sklearn.linear_model import LogisticRegression
from tokenizers import Tokenizer
from policywarden.training.records import read_jsonl, written_records
from policywarden.training import trainer as T
from policywarden.training.metrics import best_threshold, binary_metrics
from policywarden.text.normalize import normalize
from policywarden.classify.features import FeatureSpec
from policywarden.policy import load_policy

ALPHA = float(sys.argv[1]) if len(sys.argv) > 1 else 1.0
pol = load_policy()
acc = {normalize(t) for c in pol.categories for t in (*c.examples.flag, *c.examples.allow)}
recs = [r for r in [*read_jsonl(ROOT / "training" / "out" / "dataset.jsonl"), *written_records(ROOT / "training" / "written")] if normalize(r.text) not in acc]
train = [r for r in recs if r.split == "train"]; held = [r for r in recs if r.split != "train"]
heads = [c.id for c in pol.categories] + ["any"]
tok = Tokenizer.from_file(str(OUT / "tok" / "tokenizer.json")); tok.no_padding(); tok.enable_truncation(512)
V = np.load(OUT / "static128.npy")

def ids(texts):
    return [e.ids[1:-1] for e in tok.encode_batch(texts)]

t0 = time.time()
ntr = [normalize(r.text) for r in train]; nho = [normalize(r.text) for r in held]
ex_texts = [(c.id, t, 1) for c in pol.categories for t in c.examples.flag] + [(c.id, t, 0) for c in pol.categories for t in c.examples.allow]
nex = [normalize(t) for _, t, _ in ex_texts]
tr_ids = ids(ntr)
df = np.zeros(len(V)); 
for s in tr_ids: df[list(set(s))] += 1
w = np.log((1 + len(tr_ids)) / (1 + df)) + 1.0
def emb(id_lists):
    out = np.zeros((len(id_lists), V.shape[1]), np.float32)
    for i, s in enumerate(id_lists):
        if s:
            ww = w[s]; out[i] = (V[s] * ww[:, None]).sum(0) / ww.sum()
    n = np.linalg.norm(out, axis=1, keepdims=True); n[n == 0] = 1
    return out / n
E_tr, E_ho, E_ex = emb(tr_ids), emb(ids(nho)), emb(ids(nex))
print("embeddings", round(time.time() - t0), "s", flush=True)
spec = FeatureSpec()
X_tr = T._matrix(ntr, spec); calib = np.array([T._bucket(t, "calib0") < 0.12 for t in ntr])
dfn = np.bincount(X_tr[np.flatnonzero(~calib)].indices, minlength=1 << spec.bits)
idf = (np.log((1 + (~calib).sum()) / (1 + dfn)) + 1.0).astype(np.float32)
X_tr = T._apply_idf(X_tr, idf); X_ho = T._apply_idf(T._matrix(nho, spec), idf); X_ex = T._apply_idf(T._matrix(nex, spec), idf)

def feats(X, E, alpha):
    return X if alpha == 0 else hstack([X, csr_matrix(E * alpha)]).tocsr()

results = {}
for alpha in (0.0, ALPHA):
    A_tr, A_ho, A_ex = feats(X_tr, E_tr, alpha), feats(X_ho, E_ho, alpha), feats(X_ex, E_ex, alpha)
    res = {"heads": {}}; ex_flag = {}
    t1 = time.time()
    for h in heads:
        y = T._labels(train, h); fit = (y >= 0) & ~calib; cal = (y >= 0) & calib
        if (y[fit] == 1).sum() < 8: continue
        clf = LogisticRegression(C=4.0, class_weight="balanced", solver="liblinear", max_iter=200, random_state=0).fit(A_tr[fit], y[fit])
        th = best_threshold(y[cal] == 1, clf.predict_proba(A_tr[cal])[:, 1], floor=0.5) if (y[cal] == 1).sum() >= 3 else 0.5
        yh = T._labels(held, h); k = yh >= 0
        if (yh[k] == 1).sum():
            res["heads"][h] = binary_metrics(yh[k], clf.predict_proba(A_ho[k])[:, 1], th)
        ex_flag[h] = clf.predict_proba(A_ex)[:, 1] >= th
    # acceptance examples: recall(own), FP(any policy head)
    own = [ex_flag.get(cid, np.zeros(len(nex), bool))[i] for i, (cid, _, lab) in enumerate(ex_texts) if lab]
    anyflag = np.any([v for h, v in ex_flag.items() if h != "any"], axis=0)
    fp = [anyflag[i] for i, (_, _, lab) in enumerate(ex_texts) if not lab]
    res["examples"] = {"recall_own": float(np.mean(own)), "fp_any": float(np.mean(fp))}
    hs = [m for h, m in res["heads"].items() if h != "any"]
    res["macro_f1"] = float(np.mean([m["f1"] for m in hs])); res["any"] = res["heads"].get("any")
    res["seconds"] = round(time.time() - t1)
    results[alpha] = res
    print(f"alpha={alpha}: macro F1 {res['macro_f1']:.3f}  any {res['any']['f1']:.3f} P {res['any']['precision']:.3f} R {res['any']['recall']:.3f} FPR {res['any']['fpr']:.3f}  examples recall {res['examples']['recall_own']:.3f} FP {res['examples']['fp_any']:.3f}  ({res['seconds']}s)", flush=True)
json.dump({str(k): v for k, v in results.items()}, open(OUT / f"hybrid_{ALPHA}.json", "w"), indent=1)

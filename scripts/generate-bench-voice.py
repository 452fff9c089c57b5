#!/usr/bin/python3
"""
Builds `sauti-bench-medium`: a VITS network with the architecture and sizes of a Piper "medium" voice,
randomly initialised with a fixed seed, exported to ONNX with Piper's input/output contract, plus its
Piper `.onnx.json` (Swahili, eSpeak voice `sw`) and a copy in the layout sherpa-onnx reads.

Its audio is noise: it exists to time the VITS engine on a network of production size (the compute
cost of a network depends on its shape, not on its trained values). Used by `npm run bench -- vits`
(bench/bench-voice.ts builds it on demand through scripts/generate-bench-voice.sh); never by tests.

Written from the VITS paper (Kim et al., 2021, "Conditional Variational Autoencoder with Adversarial
Learning for End-to-End Text-to-Speech") and Piper's training defaults for quality "medium":
  text encoder   6 transformer layers, hidden 192, filter 768, 2 heads, relative-position attention
                 (window 4), FFN kernel 3;
  durations      stochastic duration predictor (filter 192, kernel 3, 4 neural-spline flows, 10 bins);
  prior flow     4 residual coupling layers (WaveNet, 4 layers, kernel 5), mean only;
  decoder        HiFi-GAN: see DECODERS (Piper's medium and high differ only here).
The posterior encoder and the discriminators are training-only and left out, as Piper's export does.

Usage: /usr/bin/python3 scripts/generate-bench-voice.py <out_dir> [--decoder medium|high] [--seed N]
Needs Debian's python3-torch and python3-onnx (scripts/generate-bench-voice.sh installs them).
"""
import argparse
import json
import math
import os
import sys
import warnings

import torch
from torch import nn
from torch.nn import functional as F

VOICE_ID = "sauti-bench-medium"
SAMPLE_RATE = 22050
HOP_LENGTH = 256
NUM_SYMBOLS = 256
OPSET = 15

# Piper's `--quality` switch (piper_train/__main__.py): "medium" keeps the VitsModel defaults,
# "high" swaps in HiFi-GAN V1's decoder. Both upsample by 256 (the hop length).
DECODERS = {
    "medium": dict(
        resblock="2",
        resblock_kernel_sizes=(3, 5, 7),
        resblock_dilations=((1, 2), (2, 6), (3, 12)),
        upsample_rates=(8, 8, 4),
        upsample_initial_channel=256,
        upsample_kernel_sizes=(16, 16, 8),
    ),
    "high": dict(
        resblock="1",
        resblock_kernel_sizes=(3, 7, 11),
        resblock_dilations=((1, 3, 5), (1, 3, 5), (1, 3, 5)),
        upsample_rates=(8, 8, 2, 2),
        upsample_initial_channel=512,
        upsample_kernel_sizes=(16, 16, 4, 4),
    ),
}

# Piper's symbol order: pad, BOS, EOS, space, punctuation, a–z, then eSpeak's IPA (one code point each,
# as the phonemizer decomposes to NFD). Same set as the test voice (scripts/generate-test-voice.ts).
SYMBOLS = (
    ["_", "^", "$", " ", "!", "'", "(", ")", ",", "-", ".", ":", ";", "?"]
    + list("abcdefghijklmnopqrstuvwxyz")
    + list("æçðøħŋœǀǁǂǃɐɑɒɓɔɕɖɗɘəɚɛɜɞɟɠɡɢɣɤɥɦɧɨɪɫɬɭɮɯɰɱɲɳɴɵɶɸɹɺɻɽɾʀʁʂʃʄʈʉʊʋʌʍʎʏʐʑʒʔʕʘʙʛʜʝʟʡʢʰʲʷˈˌːˑ˞βθχᵻⱱ")
    + ["\u0303", "\u0329", "\u032a"]
)

# Mean frames per input id after `ceil`: Piper ids alternate phoneme and pad, so ~2.1 ids per Swahili
# letter; 2.9 frames (34 ms) per id is ~14 characters of text per second of speech, a usual reading pace.
TARGET_FRAMES_PER_ID = 2.9
OUTPUT_GAIN = 12.0


def sequence_mask(lengths, max_length):
    return torch.arange(max_length, dtype=lengths.dtype, device=lengths.device).unsqueeze(0) < lengths.unsqueeze(1)


def channel_layer_norm(layer, x):
    """LayerNorm over the channel axis of [batch, channels, time]."""
    return layer(x.transpose(1, -1)).transpose(1, -1)


class RelativeSelfAttention(nn.Module):
    """Multi-head self-attention with learnt relative-position keys and values (Shaw et al.), window w."""

    def __init__(self, channels, heads, window):
        super().__init__()
        self.heads, self.window, self.head_channels = heads, window, channels // heads
        self.query, self.key, self.value, self.out = (nn.Conv1d(channels, channels, 1) for _ in range(4))
        scale = self.head_channels**-0.5
        self.relative_keys = nn.Parameter(torch.randn(1, 2 * window + 1, self.head_channels) * scale)
        self.relative_values = nn.Parameter(torch.randn(1, 2 * window + 1, self.head_channels) * scale)

    def _window(self, table, length):
        # Relative offsets -(length-1)..(length-1): pad the table so any length slices the same way
        # (an export-safe form: no Python branch on the traced length).
        padded = F.pad(table, [0, 0, length - 1, length - 1])
        return padded[:, self.window : self.window + 2 * length - 1]

    @staticmethod
    def _relative_to_absolute(x):
        batch, heads, length, _ = x.size()
        x = F.pad(x, [0, 1]).view(batch, heads, length * 2 * length)
        x = F.pad(x, [0, length - 1]).view(batch, heads, length + 1, 2 * length - 1)
        return x[:, :, :length, length - 1 :]

    @staticmethod
    def _absolute_to_relative(x):
        batch, heads, length, _ = x.size()
        x = F.pad(x, [0, length - 1]).view(batch, heads, length * (2 * length - 1))
        x = F.pad(x, [length, 0]).view(batch, heads, length, 2 * length)
        return x[:, :, :, 1:]

    def forward(self, x, attention_mask):
        batch, channels, length = x.size()

        def split(t):
            return t.view(batch, self.heads, self.head_channels, length).transpose(2, 3)

        query = split(self.query(x)) / math.sqrt(self.head_channels)
        key, value = split(self.key(x)), split(self.value(x))
        scores = torch.matmul(query, key.transpose(-2, -1))
        relative_keys = self._window(self.relative_keys, length)
        scores = scores + self._relative_to_absolute(torch.matmul(query, relative_keys.unsqueeze(0).transpose(-2, -1)))
        scores = scores.masked_fill(attention_mask == 0, -1e4)
        weights = F.softmax(scores, dim=-1)
        output = torch.matmul(weights, value)
        relative_values = self._window(self.relative_values, length)
        output = output + torch.matmul(self._absolute_to_relative(weights), relative_values.unsqueeze(0))
        return self.out(output.transpose(2, 3).contiguous().view(batch, channels, length))


class TextEncoder(nn.Module):
    def __init__(self, symbols, hidden, filter_channels, heads, layers, kernel, window=4):
        super().__init__()
        self.hidden = hidden
        self.embedding = nn.Embedding(symbols, hidden)
        nn.init.normal_(self.embedding.weight, 0.0, hidden**-0.5)
        self.attention = nn.ModuleList(RelativeSelfAttention(hidden, heads, window) for _ in range(layers))
        self.norm_attention = nn.ModuleList(nn.LayerNorm(hidden) for _ in range(layers))
        self.ffn_in = nn.ModuleList(nn.Conv1d(hidden, filter_channels, kernel, padding=kernel // 2) for _ in range(layers))
        self.ffn_out = nn.ModuleList(nn.Conv1d(filter_channels, hidden, kernel, padding=kernel // 2) for _ in range(layers))
        self.norm_ffn = nn.ModuleList(nn.LayerNorm(hidden) for _ in range(layers))
        self.projection = nn.Conv1d(hidden, 2 * hidden, 1)

    def forward(self, ids, lengths):
        x = (self.embedding(ids) * math.sqrt(self.hidden)).transpose(1, 2)
        mask = sequence_mask(lengths, x.size(2)).unsqueeze(1).to(x.dtype)
        attention_mask = mask.unsqueeze(2) * mask.unsqueeze(-1)
        x = x * mask
        for i in range(len(self.attention)):
            x = channel_layer_norm(self.norm_attention[i], x + self.attention[i](x, attention_mask))
            y = self.ffn_out[i](torch.relu(self.ffn_in[i](x * mask)) * mask) * mask
            x = channel_layer_norm(self.norm_ffn[i], x + y)
        x = x * mask
        means, log_scales = torch.split(self.projection(x) * mask, self.hidden, dim=1)
        return x, means, log_scales, mask


class DilatedDepthSeparableConv(nn.Module):
    """DDSConv of the duration predictor: depthwise dilated conv, LayerNorm, GELU, 1×1 conv, LayerNorm, GELU."""

    def __init__(self, channels, kernel, layers):
        super().__init__()
        self.depthwise = nn.ModuleList(
            nn.Conv1d(channels, channels, kernel, groups=channels, dilation=kernel**i, padding=(kernel**i * (kernel - 1)) // 2)
            for i in range(layers)
        )
        self.pointwise = nn.ModuleList(nn.Conv1d(channels, channels, 1) for _ in range(layers))
        self.norm_depthwise = nn.ModuleList(nn.LayerNorm(channels) for _ in range(layers))
        self.norm_pointwise = nn.ModuleList(nn.LayerNorm(channels) for _ in range(layers))

    def forward(self, x, mask):
        for i in range(len(self.depthwise)):
            y = F.gelu(channel_layer_norm(self.norm_depthwise[i], self.depthwise[i](x * mask)))
            y = F.gelu(channel_layer_norm(self.norm_pointwise[i], self.pointwise[i](y)))
            x = x + y
        return x * mask


def inverse_rational_quadratic_spline(y, widths, heights, derivatives, bound, min_bin=1e-3, min_derivative=1e-3):
    """
    Inverse of a monotonic rational-quadratic spline on [-bound, bound] (Durkan et al., 2019), identity
    outside it ("linear tails"). Computed for every element and selected with `where`, so the graph has
    no data-dependent shapes.
    """
    bins = widths.size(-1)

    def knots(unnormalised):
        sizes = min_bin + (1 - min_bin * bins) * F.softmax(unnormalised, dim=-1)
        cumulative = torch.cumsum(sizes, dim=-1)
        cumulative = torch.cat([torch.zeros_like(cumulative[..., :1]), cumulative[..., :-1], torch.ones_like(cumulative[..., :1])], dim=-1)
        cumulative = 2 * bound * cumulative - bound
        return cumulative, cumulative[..., 1:] - cumulative[..., :-1]

    cumulative_widths, bin_widths = knots(widths)
    cumulative_heights, bin_heights = knots(heights)
    # Tails: derivative 1 at both ends, so the spline joins the identity smoothly.
    edge = math.log(math.exp(1 - min_derivative) - 1)
    edges = torch.full_like(derivatives[..., :1], edge)
    slopes = min_derivative + F.softplus(torch.cat([edges, derivatives, edges], dim=-1))

    inside = (y >= -bound) & (y <= bound)
    clamped = torch.clamp(y, -bound, bound)
    locations = torch.cat([cumulative_heights[..., :-1], cumulative_heights[..., -1:] + 1e-6], dim=-1)
    index = (torch.sum((clamped.unsqueeze(-1) >= locations).to(torch.long), dim=-1) - 1).clamp(0, bins - 1).unsqueeze(-1)

    def pick(t):
        return torch.gather(t, -1, index).squeeze(-1)

    x_start, width = pick(cumulative_widths), pick(bin_widths)
    y_start, height = pick(cumulative_heights), pick(bin_heights)
    slope_start = pick(slopes[..., :-1])
    slope_end = pick(slopes[..., 1:])
    delta = height / width
    offset = clamped - y_start
    curvature = slope_start + slope_end - 2 * delta
    a = offset * curvature + height * (delta - slope_start)
    b = height * slope_start - offset * curvature
    c = -delta * offset
    root = (2 * c) / (-b - torch.sqrt(torch.clamp(b * b - 4 * a * c, min=0)))
    return torch.where(inside, root * width + x_start, y)


class SplineFlow(nn.Module):
    """ConvFlow: the second channel is moved by a spline whose knots a DDSConv computes from the first."""

    def __init__(self, filter_channels, kernel, layers=3, bins=10, bound=5.0):
        super().__init__()
        self.bins, self.bound, self.filter_channels = bins, bound, filter_channels
        self.pre = nn.Conv1d(1, filter_channels, 1)
        self.convs = DilatedDepthSeparableConv(filter_channels, kernel, layers)
        self.projection = nn.Conv1d(filter_channels, 3 * bins - 1, 1)

    def reverse(self, x, mask, condition):
        x0, x1 = x[:, :1], x[:, 1:]
        h = self.convs(self.pre(x0) + condition, mask)
        h = (self.projection(h) * mask).transpose(1, 2)  # [batch, time, 3·bins − 1]
        scale = math.sqrt(self.filter_channels)
        widths, heights, derivatives = h[..., : self.bins] / scale, h[..., self.bins : 2 * self.bins] / scale, h[..., 2 * self.bins :]
        x1 = inverse_rational_quadratic_spline(x1.squeeze(1), widths, heights, derivatives, self.bound).unsqueeze(1)
        return torch.cat([x0, x1], dim=1) * mask


class StochasticDurationPredictor(nn.Module):
    """VITS's flow-based duration model, run backwards from noise at inference (its last spline flow is unused then)."""

    def __init__(self, hidden, filter_channels, kernel, flows=4):
        super().__init__()
        self.pre = nn.Conv1d(hidden, filter_channels, 1)
        self.convs = DilatedDepthSeparableConv(filter_channels, kernel, 3)
        self.projection = nn.Conv1d(filter_channels, filter_channels, 1)
        self.flows = nn.ModuleList(SplineFlow(filter_channels, kernel) for _ in range(flows))
        # ElementwiseAffine on the 2 noise channels: its mean is where log-durations land.
        self.affine_mean = nn.Parameter(torch.zeros(2, 1))
        self.affine_log_scale = nn.Parameter(torch.zeros(2, 1))

    def log_durations(self, x, mask, noise_scale_w):
        condition = self.projection(self.convs(self.pre(x), mask)) * mask
        z = torch.randn(x.size(0), 2, x.size(2), dtype=x.dtype, device=x.device) * noise_scale_w
        # Forward order: affine, then (spline flow, flip) × 4. Backwards, the first-applied spline flow is skipped.
        for flow in reversed(self.flows[1:]):
            z = flow.reverse(torch.flip(z, [1]), mask, condition)
        z = torch.flip(z, [1])
        z = (z - self.affine_mean) * torch.exp(-self.affine_log_scale) * mask
        return z[:, :1]


class WaveNet(nn.Module):
    """Non-causal WaveNet of the coupling layers: gated tanh·sigmoid units, residual and skip 1×1 convs."""

    def __init__(self, hidden, kernel, layers):
        super().__init__()
        self.hidden = hidden
        self.inputs = nn.ModuleList(nn.Conv1d(hidden, 2 * hidden, kernel, padding=kernel // 2) for _ in range(layers))
        self.residual_skip = nn.ModuleList(nn.Conv1d(hidden, 2 * hidden if i < layers - 1 else hidden, 1) for i in range(layers))

    def forward(self, x, mask):
        output = torch.zeros_like(x)
        for i, (conv, residual_skip) in enumerate(zip(self.inputs, self.residual_skip)):
            h = conv(x)
            gated = torch.tanh(h[:, : self.hidden]) * torch.sigmoid(h[:, self.hidden :])
            h = residual_skip(gated)
            if i < len(self.inputs) - 1:
                x = (x + h[:, : self.hidden]) * mask
                output = output + h[:, self.hidden :]
            else:
                output = output + h
        return output * mask


class CouplingLayer(nn.Module):
    """Mean-only affine coupling: half the channels shift the other half."""

    def __init__(self, channels, hidden, kernel, layers):
        super().__init__()
        self.half = channels // 2
        self.pre = nn.Conv1d(self.half, hidden, 1)
        self.wavenet = WaveNet(hidden, kernel, layers)
        self.post = nn.Conv1d(hidden, self.half, 1)

    def reverse(self, x, mask):
        x0, x1 = x[:, : self.half], x[:, self.half :]
        mean = self.post(self.wavenet(self.pre(x0) * mask, mask)) * mask
        return torch.cat([x0, (x1 - mean) * mask], dim=1)


class PriorFlow(nn.Module):
    def __init__(self, channels, hidden, kernel=5, layers=4, flows=4):
        super().__init__()
        self.couplings = nn.ModuleList(CouplingLayer(channels, hidden, kernel, layers) for _ in range(flows))

    def reverse(self, z, mask):
        for coupling in reversed(self.couplings):
            z = coupling.reverse(torch.flip(z, [1]), mask)
        return z


class ResidualBlock(nn.Module):
    """HiFi-GAN residual block: type "1" pairs each dilated conv with an undilated one, type "2" does not."""

    def __init__(self, channels, kernel, dilations, kind):
        super().__init__()
        self.dilated = nn.ModuleList(nn.Conv1d(channels, channels, kernel, dilation=d, padding=d * (kernel - 1) // 2) for d in dilations)
        self.plain = (
            nn.ModuleList(nn.Conv1d(channels, channels, kernel, padding=(kernel - 1) // 2) for _ in dilations) if kind == "1" else None
        )

    def forward(self, x):
        for i, conv in enumerate(self.dilated):
            y = conv(F.leaky_relu(x, 0.1))
            if self.plain is not None:
                y = self.plain[i](F.leaky_relu(y, 0.1))
            x = x + y
        return x


class HifiGanDecoder(nn.Module):
    def __init__(self, in_channels, resblock, resblock_kernel_sizes, resblock_dilations, upsample_rates, upsample_initial_channel, upsample_kernel_sizes):
        super().__init__()
        self.pre = nn.Conv1d(in_channels, upsample_initial_channel, 7, padding=3)
        self.ups = nn.ModuleList()
        self.blocks = nn.ModuleList()
        channels = upsample_initial_channel
        for rate, kernel in zip(upsample_rates, upsample_kernel_sizes):
            self.ups.append(nn.ConvTranspose1d(channels, channels // 2, kernel, rate, padding=(kernel - rate) // 2))
            channels //= 2
            self.blocks.append(nn.ModuleList(ResidualBlock(channels, k, d, resblock) for k, d in zip(resblock_kernel_sizes, resblock_dilations)))
        self.post = nn.Conv1d(channels, 1, 7, padding=3, bias=False)
        # HiFi-GAN's initialisation (normal, std 0.01) for the upsampling path keeps activations in range.
        for module in [*self.ups, *self.blocks.modules()]:
            if isinstance(module, (nn.Conv1d, nn.ConvTranspose1d)):
                nn.init.normal_(module.weight, 0.0, 0.01)
        # Speech level (RMS ≈ 0.1) rather than a whisper: engines that treat quiet stretches as pauses
        # (sherpa-onnx shortens pauses) must see the same audio length as the others.
        with torch.no_grad():
            self.post.weight.mul_(OUTPUT_GAIN)

    def forward(self, z):
        x = self.pre(z)
        for up, blocks in zip(self.ups, self.blocks):
            x = up(F.leaky_relu(x, 0.1))
            x = sum(block(x) for block in blocks) / len(blocks)
        return torch.tanh(self.post(F.leaky_relu(x)))


class VitsSynthesizer(nn.Module):
    """Inference path of VITS with Piper's ONNX contract: (input, input_lengths, scales) → audio [batch, 1, samples]."""

    def __init__(self, decoder, hidden=192, filter_channels=768, heads=2, layers=6):
        super().__init__()
        self.encoder = TextEncoder(NUM_SYMBOLS, hidden, filter_channels, heads, layers, kernel=3)
        self.durations = StochasticDurationPredictor(hidden, 192, 3)
        self.flow = PriorFlow(hidden, hidden)
        self.decoder = HifiGanDecoder(hidden, **DECODERS[decoder])

    def frames(self, ids, lengths, noise_w):
        """Per-id frame counts (the alignment), as inference computes them; also used to calibrate."""
        x, means, log_scales, mask = self.encoder(ids, lengths)
        log_w = self.durations.log_durations(x, mask, noise_w)
        return log_w, means, log_scales, mask

    def forward(self, ids, lengths, scales):
        noise_scale, length_scale, noise_w = scales[0], scales[1], scales[2]
        log_w, means, log_scales, mask = self.frames(ids, lengths, noise_w)
        durations = torch.ceil(torch.exp(log_w) * mask * length_scale)  # [batch, 1, ids]
        frame_count = torch.clamp_min(torch.sum(durations, [1, 2]), 1).long()
        frame_mask = sequence_mask(frame_count, frame_count.max()).unsqueeze(1).to(mask.dtype)
        # Monotonic alignment from the durations: frame f belongs to id i when end(i-1) ≤ f < end(i).
        ends = torch.cumsum(durations, -1).squeeze(1)  # [batch, ids]
        frame_index = torch.arange(frame_mask.size(2), dtype=ends.dtype).view(1, -1, 1)
        alignment = ((frame_index < ends.unsqueeze(1)) & (frame_index >= (ends - durations.squeeze(1)).unsqueeze(1))).to(mask.dtype)
        alignment = alignment * frame_mask.transpose(1, 2) * mask  # [batch, frames, ids]
        means = torch.matmul(alignment, means.transpose(1, 2)).transpose(1, 2)
        log_scales = torch.matmul(alignment, log_scales.transpose(1, 2)).transpose(1, 2)
        z = (means + torch.randn_like(means) * torch.exp(log_scales) * noise_scale) * frame_mask
        z = self.flow.reverse(z, frame_mask)
        return self.decoder(z * frame_mask)


def calibrate_durations(model, generator):
    """Moves the duration predictor's output mean so a random network speaks at a real voice's pace."""
    ids = torch.randint(1, len(SYMBOLS), (1, 400), generator=generator)
    lengths = torch.tensor([ids.size(1)])
    with torch.no_grad():
        for _ in range(8):
            log_w = model.frames(ids, lengths, torch.tensor(0.8))[0]
            mean_frames = torch.ceil(torch.exp(log_w)).mean().item()
            model.durations.affine_mean[0] -= math.log(TARGET_FRAMES_PER_ID / mean_frames)
    return mean_frames


def piper_config(name, decoder, seed, parameters):
    return {
        "dataset": name,
        "audio": {"sample_rate": SAMPLE_RATE, "quality": "medium" if decoder == "medium" else "high"},
        "espeak": {"voice": "sw"},
        "language": {"code": "sw", "family": "sw", "name_native": "Kiswahili", "name_english": "Swahili"},
        "inference": {"noise_scale": 0.667, "length_scale": 1, "noise_w": 0.8},
        "phoneme_type": "espeak",
        "phoneme_map": {},
        "phoneme_id_map": {symbol: [index] for index, symbol in enumerate(SYMBOLS)},
        "num_symbols": NUM_SYMBOLS,
        "num_speakers": 1,
        "speaker_id_map": {},
        "piper_version": "1.0.0",
        "bench_voice": {
            "generator": "scripts/generate-bench-voice.py",
            "note": "randomly initialised network of a Piper voice's shape, for timing only: its audio is noise",
            "decoder": decoder,
            "seed": seed,
            "parameters": parameters,
            "torch": torch.__version__,
            "target_frames_per_id": TARGET_FRAMES_PER_ID,
        },
    }


def sherpa_metadata(decoder):
    """The keys sherpa-onnx's VITS model reads from metadata_props (`comment` containing "piper" selects Piper's frontend)."""
    return {
        "model_type": "vits",
        "comment": "piper",
        "language": "Swahili",
        "voice": "sw",
        "has_espeak": "1",
        "n_speakers": "1",
        "sample_rate": str(SAMPLE_RATE),
        "add_blank": "0",
        "punctuation": ". , ; : ! ?",
        "quality": decoder,
    }


def write_atomically(path, data):
    temp = f"{path}.part"
    with open(temp, "wb") as out:
        out.write(data)
    os.replace(temp, path)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("out_dir")
    parser.add_argument("--decoder", choices=sorted(DECODERS), default="medium")
    parser.add_argument("--seed", type=int, default=22)
    args = parser.parse_args()

    import onnx

    torch.manual_seed(args.seed)
    model = VitsSynthesizer(args.decoder).eval()
    parameters = sum(p.numel() for p in model.parameters())
    mean_frames = calibrate_durations(model, torch.Generator().manual_seed(args.seed))
    name = VOICE_ID if args.decoder == "medium" else f"sauti-bench-{args.decoder}"
    print(f"{name} ({args.decoder} decoder): {parameters / 1e6:.2f} M parameters; {mean_frames:.2f} frames per id", file=sys.stderr)

    os.makedirs(args.out_dir, exist_ok=True)
    onnx_path = os.path.join(args.out_dir, f"{name}.onnx")
    ids = torch.randint(1, len(SYMBOLS), (1, 50))
    dummy = (ids, torch.tensor([ids.size(1)]), torch.tensor([0.667, 1.0, 0.8]))
    temp = f"{onnx_path}.export"
    # The exporter's shape-inference notes on this graph are expected (dynamic lengths); keep the output readable.
    warnings.filterwarnings("ignore", category=UserWarning, module="torch.onnx")
    with torch.no_grad():
        torch.onnx.export(
            model,
            dummy,
            temp,
            opset_version=OPSET,
            input_names=["input", "input_lengths", "scales"],
            output_names=["output"],
            dynamic_axes={"input": {0: "batch_size", 1: "phonemes"}, "input_lengths": {0: "batch_size"}, "output": {0: "batch_size", 2: "time"}},
        )
    exported = onnx.load(temp)
    os.remove(temp)
    onnx.checker.check_model(exported)
    write_atomically(onnx_path, exported.SerializeToString())

    # The same graph and weights with sherpa-onnx's metadata, beside its tokens.txt.
    sherpa_dir = os.path.join(args.out_dir, f"{name}-sherpa")
    os.makedirs(sherpa_dir, exist_ok=True)
    for key, value in sherpa_metadata(args.decoder).items():
        entry = exported.metadata_props.add()
        entry.key, entry.value = key, value
    write_atomically(os.path.join(sherpa_dir, "model.onnx"), exported.SerializeToString())
    tokens = "".join(f"{symbol} {index}\n" for index, symbol in enumerate(SYMBOLS))
    write_atomically(os.path.join(sherpa_dir, "tokens.txt"), tokens.encode("utf-8"))

    # Written last: the bench treats the voice as present once its config exists.
    config = json.dumps(piper_config(name, args.decoder, args.seed, parameters), ensure_ascii=False, indent=2)
    write_atomically(f"{onnx_path}.json", (config + "\n").encode("utf-8"))
    print(f"wrote {onnx_path}, {onnx_path}.json and {sherpa_dir}/", file=sys.stderr)


if __name__ == "__main__":
    main()

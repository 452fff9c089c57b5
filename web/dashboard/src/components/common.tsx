import type { ComponentChildren } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';

type Tone = 'good' | 'warn' | 'bad' | 'neutral';

const TONES: Record<string, Tone> = {
  up: 'good',
  closed: 'good',
  available: 'good',
  active: 'good',
  degraded: 'warn',
  half_open: 'warn',
  fallback: 'warn',
  down: 'bad',
  open: 'bad',
  revoked: 'neutral',
  missing: 'bad',
};

/** A state word on a coloured background: the word carries the meaning, the colour only repeats it. */
export function Badge({ value, label }: { value: string; label?: string }) {
  return <span class={`badge badge-${TONES[value] ?? 'neutral'}`}>{label ?? value.replace('_', '-')}</span>;
}

/** A wide table scrolls sideways on a phone, and can be scrolled with the keyboard. */
export function TableScroll({ label, children }: { label: string; children: ComponentChildren }) {
  return (
    <div class="table-scroll" role="region" aria-label={label} tabIndex={0}>
      {children}
    </div>
  );
}

/** A secret shown once: selectable, copyable, with a warning that it will not be shown again. */
export function SecretOnce({ title, secret, onDone }: { title: string; secret: string; onDone: () => void }) {
  const [copied, setCopied] = useState(false);
  const heading = useRef<HTMLHeadingElement>(null);
  useEffect(() => heading.current?.focus(), []);
  return (
    <div class="secret" role="group" aria-labelledby="secret-title">
      <h3 id="secret-title" tabIndex={-1} ref={heading}>
        {title}
      </h3>
      <p>Copy it now: it is shown this once and only its hash is stored.</p>
      <output class="secret-value" data-testid="secret-value">
        {secret}
      </output>
      <div class="actions">
        <button
          type="button"
          onClick={() =>
            void navigator.clipboard?.writeText(secret).then(
              () => setCopied(true),
              () => setCopied(false),
            )
          }
        >
          Copy
        </button>
        <button type="button" class="secondary" onClick={onDone}>
          Done
        </button>
        <span role="status">{copied ? 'Copied.' : ''}</span>
      </div>
    </div>
  );
}

/** A part of the page that could not be loaded says so, in words, where the figures would be. */
export function Problem({ message }: { message?: string }) {
  return message ? (
    <p class="problem" role="alert">
      {message}
    </p>
  ) : null;
}

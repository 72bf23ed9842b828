import { useEffect, useState, type InputHTMLAttributes, type Ref } from 'react';

interface Props extends Omit<InputHTMLAttributes<HTMLInputElement>, 'value' | 'onChange'> {
  value: string;
  onCommit(value: string): void;
  delayMs?: number;
  inputRef?: Ref<HTMLInputElement>;
}

/** A text field that commits after the user pauses typing (or presses Enter), not per keystroke. */
export function DebouncedInput({ value, onCommit, delayMs = 350, inputRef, onKeyDown, ...rest }: Props) {
  const [local, setLocal] = useState(value);
  const [prev, setPrev] = useState(value);
  if (value !== prev) {
    // The value changed from outside (a chip was removed, the URL was restored).
    setPrev(value);
    setLocal(value);
  }
  useEffect(() => {
    if (local === value) return;
    const t = setTimeout(() => onCommit(local), delayMs);
    return () => clearTimeout(t);
  }, [local, value, delayMs, onCommit]);
  return (
    <input
      {...rest}
      ref={inputRef}
      value={local}
      onChange={(e) => setLocal(e.target.value)}
      onKeyDown={(e) => {
        if (e.key === 'Enter' && local !== value) onCommit(local);
        if (e.key === 'Escape' && local) {
          e.stopPropagation();
          setLocal('');
          onCommit('');
        }
        onKeyDown?.(e);
      }}
    />
  );
}

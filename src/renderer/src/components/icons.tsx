/**
 * Inline SVG icons. Glyphs such as the fullwidth ＋ or ✕ depend on the system's fonts (Debian's
 * default fonts draw ＋ as an empty box), so every icon is drawn here; they take the text colour.
 */
type IconProps = { size?: number };

function Svg({ size = 14, children }: IconProps & { children: React.ReactNode }) {
  return (
    <svg className="icon" width={size} height={size} viewBox="0 0 16 16" fill="none" stroke="currentColor" strokeWidth={2} strokeLinecap="round" aria-hidden="true" focusable="false">
      {children}
    </svg>
  );
}

export const PlusIcon = (p: IconProps) => (
  <Svg {...p}>
    <path d="M8 3v10M3 8h10" />
  </Svg>
);

export const CloseIcon = (p: IconProps) => (
  <Svg {...p}>
    <path d="M4 4l8 8M12 4l-8 8" />
  </Svg>
);

export const PlayIcon = (p: IconProps) => (
  <Svg {...p}>
    <path d="M5 3.5v9l7-4.5z" fill="currentColor" strokeLinejoin="round" />
  </Svg>
);

export const PauseIcon = (p: IconProps) => (
  <Svg {...p}>
    <path d="M5.5 3.5v9M10.5 3.5v9" />
  </Svg>
);

/** A document with a folded corner: an exported description (the Flow view's AsyncAPI button). */
export const DocumentIcon = (p: IconProps) => (
  <Svg {...p}>
    <path d="M4 1.5h5l3 3v10H4z" strokeWidth={1.5} strokeLinejoin="round" />
    <path d="M9 1.5v3h3M6 8.5h4M6 11.5h4" strokeWidth={1.5} />
  </Svg>
);

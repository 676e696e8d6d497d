/** The Lattice mark and name. */
export function Logo() {
  return (
    <span class="logo">
      <svg viewBox="0 0 24 24" width="24" height="24" aria-hidden="true">
        <path
          d="M4 4h6v6H4zM14 4h6v6h-6zM4 14h6v6H4zM14 14h6v6h-6z"
          fill="currentColor"
          opacity=".85"
        />
        <path d="M10 7h4M7 10v4M17 10v4M10 17h4" stroke="currentColor" stroke-width="1.5" />
      </svg>
      <span>Lattice</span>
    </span>
  );
}

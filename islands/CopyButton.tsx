import { CopyButton } from "@/components/CopyButton.tsx";

/** A copy-to-clipboard button for server-rendered pages (islands use the component directly). */
export default function CopyButtonIsland(props: Parameters<typeof CopyButton>[0]) {
  return <CopyButton {...props} />;
}

import { createContext, type ComponentChildren } from "preact";
import { useContext, useEffect, useState } from "preact/hooks";
import { Role, type WhoAmIResponse } from "../../gen/easytask/v1/cluster_pb.js";
import { api } from "./api.js";

// Who the console calls as (WhoAmI): a viewer token's console shows no
// actions, since the server would refuse them.

const WhoContext = createContext<WhoAmIResponse | undefined>(undefined);

export function WhoProvider(props: { children: ComponentChildren }) {
  const [who, setWho] = useState<WhoAmIResponse>();
  useEffect(() => {
    api.cluster.whoAmI({}).then(setWho, () => setWho(undefined));
  }, []);
  return <WhoContext.Provider value={who}>{props.children}</WhoContext.Provider>;
}

export const useWho = () => useContext(WhoContext);

// Whether this console may change things: not for a viewer (nor before it
// is known, so no button shows only to be refused).
export function useMayChange(): boolean {
  const who = useContext(WhoContext);
  return who !== undefined && who.role !== Role.VIEWER;
}

export function WhoBadge() {
  const who = useContext(WhoContext);
  if (!who?.authRequired) return null;
  return (
    <span class={`who ${who.role === Role.VIEWER ? "viewer" : ""}`} title="The API token this browser sends">
      {who.role === Role.VIEWER ? `Read-only: ${who.name}` : who.name}
    </span>
  );
}

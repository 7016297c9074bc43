import { useEffect, useRef, useState } from 'preact/hooks';
import { get, type ResourceRow, type Stats } from './api';
import { computeRates, type TriggerRates } from './rates';

/** Polls resources (the admin API) and trigger stats every 2 s while mounted. */
export function useLiveStatus(): {
  resources: ResourceRow[] | undefined;
  rates: Map<string, TriggerRates>;
  error: string | undefined;
} {
  const [resources, setResources] = useState<ResourceRow[]>();
  const [rates, setRates] = useState(new Map<string, TriggerRates>());
  const [error, setError] = useState<string>();
  const prev = useRef<Stats>();
  useEffect(() => {
    let alive = true;
    const tick = async () => {
      try {
        const [r, s] = await Promise.all([
          get<{ items: ResourceRow[] }>('/admin/v1/resources'),
          get<Stats>('/console/api/stats'),
        ]);
        if (!alive) return;
        setResources(r.items);
        setRates(computeRates(prev.current, s));
        prev.current = s;
        setError(undefined);
      } catch (err) {
        if (alive) setError((err as Error).message);
      }
    };
    void tick();
    const t = setInterval(tick, 2000);
    return () => {
      alive = false;
      clearInterval(t);
    };
  }, []);
  return { resources, rates, error };
}

import { useEffect, useState } from 'preact/hooks';

/** Client-side routes under /console/ (each also loads directly: the server answers index.html). */
export type Route =
  | { view: 'topology' }
  | { view: 'events' }
  | { view: 'deadletters' }
  | { view: 'resource'; kind: string; namespace: string; name: string }
  | { view: 'missing'; path: string };

export function parseRoute(pathname: string): Route {
  const rest = pathname.replace(/^\/console\/?/, '').replace(/\/$/, '');
  if (rest === '') return { view: 'topology' };
  if (rest === 'events') return { view: 'events' };
  if (rest === 'deadletters') return { view: 'deadletters' };
  const m = /^resources\/([^/]+)\/([^/]+)\/([^/]+)$/.exec(rest);
  if (m)
    return {
      view: 'resource',
      kind: decodeURIComponent(m[1]!),
      namespace: decodeURIComponent(m[2]!),
      name: decodeURIComponent(m[3]!),
    };
  return { view: 'missing', path: pathname };
}

export function navigate(path: string): void {
  if (path === location.pathname) return;
  history.pushState(null, '', path);
  dispatchEvent(new PopStateEvent('popstate'));
}

export function useRoute(): Route {
  const [route, setRoute] = useState(() => parseRoute(location.pathname));
  useEffect(() => {
    const on = () => setRoute(parseRoute(location.pathname));
    addEventListener('popstate', on);
    return () => removeEventListener('popstate', on);
  }, []);
  return route;
}

/** onClick for in-app links: plain clicks navigate without a reload, modified clicks stay native. */
export function linkClick(e: MouseEvent): void {
  const a = e.currentTarget as HTMLAnchorElement | SVGAElement;
  if (e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey)
    return;
  const href = a.getAttribute('href');
  if (!href?.startsWith('/console/')) return;
  e.preventDefault();
  navigate(href);
}

import { render } from 'preact';
import { DeadLettersView } from './deadletters';
import { EventsView } from './events';
import { ResourceView } from './resource';
import { linkClick, useRoute, type Route } from './router';
import { TopologyView } from './topology';
import './style.css';

/** The console's shell: navigation and the view of the current route (docs/console.md). */

const NAV: Array<{ href: string; label: string; view: Route['view'] }> = [
  { href: '/console/', label: 'Topology', view: 'topology' },
  { href: '/console/events', label: 'Live events', view: 'events' },
  { href: '/console/deadletters', label: 'Dead letters', view: 'deadletters' },
];

function App() {
  const route = useRoute();
  return (
    <>
      <a class="skip" href="#main">
        Skip to content
      </a>
      <header>
        <span class="brand">Tributary</span>
        <nav aria-label="console">
          {NAV.map((n) => (
            <a
              key={n.href}
              href={n.href}
              onClick={linkClick}
              aria-current={route.view === n.view ? 'page' : undefined}
            >
              {n.label}
            </a>
          ))}
        </nav>
      </header>
      <main id="main" tabIndex={-1}>
        {route.view === 'topology' && <TopologyView />}
        {route.view === 'events' && <EventsView />}
        {route.view === 'deadletters' && <DeadLettersView />}
        {route.view === 'resource' && (
          <ResourceView
            key={`${route.kind}/${route.namespace}/${route.name}`}
            kind={route.kind}
            namespace={route.namespace}
            name={route.name}
          />
        )}
        {route.view === 'missing' && <p>No page at {route.path}.</p>}
      </main>
    </>
  );
}

render(<App />, document.getElementById('app')!);

/**
 * An object's relationships as a graph (Cytoscape.js). Built for thousands of nodes: a concentric
 * layout (no force simulation), textures while panning, labels only when zoomed in. Keyboard and
 * screen-reader users get the same relationships as a list next to it.
 */
import cytoscape from 'cytoscape'
import { useEffect, useRef } from 'react'
import type { ObjectDetail } from '../api.js'

const COLOURS: Record<string, string> = {
  'intrusion-set': '#b3261e',
  'threat-actor': '#b3261e',
  malware: '#7b1fa2',
  tool: '#5d4037',
  'attack-pattern': '#1565c0',
  indicator: '#2e7d32',
  campaign: '#ef6c00',
  identity: '#455a64',
  report: '#00838f',
}

export function RelationshipGraph({ center, centerLabel, detail, onOpen, label }: { center: string; centerLabel: string; detail: ObjectDetail; onOpen: (id: string) => void; label: string }) {
  const box = useRef<HTMLDivElement>(null)
  useEffect(() => {
    if (!box.current) return
    const elements: cytoscape.ElementDefinition[] = [{ data: { id: center, label: centerLabel, type: 'center' } }]
    for (const n of detail.nodes) elements.push({ data: { id: n.id, label: n.name ?? n.id, type: n.type } })
    for (const e of detail.edges) elements.push({ data: { id: e.id, source: e.source, target: e.target, label: e.relationshipType } })
    const big = elements.length > 500
    const cy = cytoscape({
      container: box.current,
      elements,
      textureOnViewport: big,
      hideEdgesOnViewport: big,
      pixelRatio: big ? 1 : 'auto',
      minZoom: 0.05,
      maxZoom: 4,
      style: [
        {
          selector: 'node',
          style: {
            'background-color': (n: cytoscape.NodeSingular) => COLOURS[String(n.data('type'))] ?? '#607d8b',
            label: 'data(label)',
            'font-size': 10,
            'min-zoomed-font-size': 8,
            color: '#1b1b1b',
            'text-valign': 'bottom',
            'text-margin-y': 3,
            width: 14,
            height: 14,
          },
        },
        { selector: 'node[type = "center"]', style: { 'background-color': '#12355b', width: 26, height: 26, 'font-weight': 'bold' } },
        {
          selector: 'edge',
          style: { width: 1, 'line-color': '#9aa5b1', 'curve-style': big ? 'haystack' : 'bezier', 'target-arrow-shape': big ? 'none' : 'triangle', 'target-arrow-color': '#9aa5b1', 'arrow-scale': 0.6 },
        },
      ],
      layout: { name: 'concentric', concentric: (n: cytoscape.NodeSingular) => (n.id() === center ? 2 : 1), levelWidth: () => 1, minNodeSpacing: big ? 6 : 60, animate: false, fit: true, padding: 40 },
    })
    // A few nodes would be blown up to fill the box: keep them at a readable size.
    if (cy.zoom() > 1.2) {
      cy.zoom(1.2)
      cy.center()
    }
    cy.on('tap', 'node', (ev) => {
      const id = ev.target.id() as string
      if (id !== center) onOpen(id)
    })
    return () => cy.destroy()
  }, [center, centerLabel, detail, onOpen])
  return <div ref={box} className="graph" role="img" aria-label={label} data-testid="relationship-graph" />
}

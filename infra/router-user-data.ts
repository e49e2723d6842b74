// What a router host runs at boot, as shell lines: HAProxy and Node 22 from Amazon Linux 2023's
// own packages, the router agent artefact fetched from the CDK asset bucket, and a systemd unit
// that keeps the agent running (the agent starts and reloads HAProxy itself). Pure: the router
// stack passes in where the artefact is and what the agent is told.

export interface RouterBootProps {
  /** The zipped agent bundle (main.mjs) in S3, or undefined while the agent does not exist yet. */
  artefact?: { bucket: string; key: string };
  environment: Record<string, string>;
}

export const ROUTER_HOME = '/opt/berth/router';
export const ROUTER_MAIN = `${ROUTER_HOME}/main.mjs`;

export function routerBootCommands(props: RouterBootProps): string[] {
  const fetch = props.artefact
    ? [
        `aws s3 cp 's3://${props.artefact.bucket}/${props.artefact.key}' /tmp/berth-router.zip`,
        `unzip -o /tmp/berth-router.zip -d ${ROUTER_HOME}`,
        'rm -f /tmp/berth-router.zip',
      ]
    : ['mkdir -p /etc/motd.d', `echo 'berth: no router agent artefact in this deployment; ${ROUTER_MAIN} is missing and berth-router will not start' > /etc/motd.d/berth-router`];
  const environment = Object.entries(props.environment).map(([k, v]) => `Environment=${k}=${v}`);
  return [
    'set -euo pipefail',
    'dnf install -y haproxy nodejs22 unzip',
    'NODE=$(command -v node-22 || command -v node)',
    'id berth-router >/dev/null 2>&1 || useradd --system --home-dir /var/lib/berth-router --create-home berth-router',
    `mkdir -p ${ROUTER_HOME}`,
    ...fetch,
    "cat > /etc/systemd/system/berth-router.service <<UNIT",
    '[Unit]',
    'Description=Berth router agent (HAProxy)',
    'After=network-online.target',
    'Wants=network-online.target',
    `ConditionPathExists=${ROUTER_MAIN}`,
    '[Service]',
    'User=berth-router',
    'AmbientCapabilities=CAP_NET_BIND_SERVICE',
    'NoNewPrivileges=true',
    ...environment,
    `ExecStart=\${NODE} ${ROUTER_MAIN}`,
    'Restart=always',
    'RestartSec=2',
    '[Install]',
    'WantedBy=multi-user.target',
    'UNIT',
    'systemctl daemon-reload',
    'systemctl enable --now berth-router.service',
  ];
}

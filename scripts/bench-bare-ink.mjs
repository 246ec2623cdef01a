// The reference of bench-tui.mjs: a bare Ink 6 app, nothing but Ink and React, re-rendering
// 25 rows of text once a second (a counter in every row changes, so each second is a real
// re-render), full width like a dashboard. It runs until it is killed (or q / Ctrl-C).
import {Box, render, Text, useApp, useInput} from 'ink';
import React, {useEffect, useState} from 'react';

const h = React.createElement;
const rowCount = 25;

function Row({index, tick}) {
  const port = String(19_100 + index).padStart(5);
  const pid = String(10_000 + index * 7 + (tick % 3)).padStart(6);
  return h(
    Text,
    {wrap: 'truncate-end'},
    `  tcp   0.0.0.0   ${port} ${pid} docker-proxy root  bench-row-${String(index).padEnd(3)} nanodock-lab/busybox:latest  ${String(tick).padStart(6)}s`,
  );
}

function BareApp() {
  const [tick, setTick] = useState(0);
  const {exit} = useApp();
  useEffect(() => {
    const timer = setInterval(() => setTick((value) => value + 1), 1000);
    return () => clearInterval(timer);
  }, []);
  useInput((input, key) => {
    if (input === 'q' || (key.ctrl && input === 'c')) exit();
  });
  const rows = [];
  for (let index = 0; index < rowCount; index++) {
    rows.push(h(Row, {key: index, index, tick}));
  }
  return h(
    Box,
    {flexDirection: 'column'},
    h(Text, {bold: true}, `bare ink  ${rowCount} rows  tick ${tick}`),
    h(Text, null, '  PROTO ADDRESS   PORT    PID PROCESS      USER  CONTAINER    IMAGE'),
    ...rows,
  );
}

const instance = render(h(BareApp), {exitOnCtrlC: false, patchConsole: false});
await instance.waitUntilExit();

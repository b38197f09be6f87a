// Transcribed mechanically from felix/rules/policy_test.go (Calico v3.32.1) by a one-off script: the
// table entries as felix-ts Rule values (proto field names in camelCase) and the expected text.
import type { PortRange, Rule } from '../../rules/dataplane-api/types.js';

/** ruleTestData: [description, IP version, rule (without action), expected match]. */
export const RULE_TEST_DATA: ReadonlyArray<readonly [string, 4 | 6, Omit<Rule, 'action'>, string]> = [
  ['Empty rule', 4, {}, ''],
  ['Protocol name', 4, { protocol: { name: 'tcp' } }, '-p tcp'],
  ['Protocol num', 4, { protocol: { number: 8 } }, '-p 8'],
  ['Source net', 4, { srcNet: ['10.0.0.0/16'] }, '--source 10.0.0.0/16'],
  ['Source IP set', 4, { srcIpSetIds: ['ipsetid1'] }, '-m set --match-set cali40ipsetid1 src'],
  [
    'Source IP sets',
    4,
    { srcIpSetIds: ['ipsetid1', 'ipsetid2'] },
    '-m set --match-set cali40ipsetid1 src -m set --match-set cali40ipsetid2 src',
  ],
  ['Source ports', 4, { srcPorts: [{ first: 10, last: 12 }] }, '-m multiport --source-ports 10:12'],
  [
    'Source ports (multiple)',
    4,
    {
      srcPorts: [
        { first: 10, last: 12 },
        { first: 20, last: 30 },
        { first: 8080, last: 8080 },
      ],
    },
    '-m multiport --source-ports 10:12,20:30,8080',
  ],
  ['ICMP', 4, { icmpType: 10 }, '-m icmp --icmp-type 10'],
  ['ICMP with code', 4, { icmpTypeCode: { type: 10, code: 12 } }, '-m icmp --icmp-type 10/12'],
  ['ICMP', 6, { icmpType: 10 }, '-m icmp6 --icmpv6-type 10'],
  ['ICMP with code', 6, { icmpTypeCode: { type: 10, code: 12 } }, '-m icmp6 --icmpv6-type 10/12'],
  ['Dest net', 4, { dstNet: ['10.0.0.0/16'] }, '--destination 10.0.0.0/16'],
  ['Dest IP set', 4, { dstIpSetIds: ['ipsetid1'] }, '-m set --match-set cali40ipsetid1 dst'],
  [
    'Dest IP sets',
    4,
    { dstIpSetIds: ['ipsetid1', 'ipsetid2'] },
    '-m set --match-set cali40ipsetid1 dst -m set --match-set cali40ipsetid2 dst',
  ],
  ['Dest ports', 4, { dstPorts: [{ first: 10, last: 12 }] }, '-m multiport --destination-ports 10:12'],
  [
    'Dest ports (multiple)',
    4,
    {
      dstPorts: [
        { first: 10, last: 12 },
        { first: 20, last: 30 },
        { first: 8080, last: 8080 },
      ],
    },
    '-m multiport --destination-ports 10:12,20:30,8080',
  ],
  ['Protocol name', 4, { notProtocol: { name: 'tcp' } }, '! -p tcp'],
  ['Protocol num', 4, { notProtocol: { number: 8 } }, '! -p 8'],
  ['Negated source net', 4, { notSrcNet: ['10.0.0.0/16'] }, '! --source 10.0.0.0/16'],
  ['Negated source IP set', 4, { notSrcIpSetIds: ['ipsetid1'] }, '-m set ! --match-set cali40ipsetid1 src'],
  [
    'Negated source IP set v6',
    6,
    { notSrcIpSetIds: ['ipsetid1'] },
    '-m set ! --match-set cali60ipsetid1 src',
  ],
  [
    'Negated source IP sets',
    4,
    { notSrcIpSetIds: ['ipsetid1', 'ipsetid2'] },
    '-m set ! --match-set cali40ipsetid1 src -m set ! --match-set cali40ipsetid2 src',
  ],
  [
    'Negated source ports',
    4,
    { notSrcPorts: [{ first: 10, last: 12 }] },
    '-m multiport ! --source-ports 10:12',
  ],
  [
    'Negated source ports (multiple)',
    4,
    {
      notSrcPorts: [
        { first: 10, last: 12 },
        { first: 20, last: 30 },
        { first: 8080, last: 8080 },
      ],
    },
    '-m multiport ! --source-ports 10:12,20:30,8080',
  ],
  [
    'Negated source ports (>15) should be broken into blocks',
    4,
    {
      notSrcPorts: [
        { first: 1, last: 2 },
        { first: 3, last: 4 },
        { first: 5, last: 6 },
        { first: 7, last: 8 },
        { first: 9, last: 10 },
        { first: 11, last: 12 },
        { first: 13, last: 14 },
        { first: 15, last: 16 },
      ],
    },
    '-m multiport ! --source-ports 1:2,3:4,5:6,7:8,9:10,11:12,13:14 -m multiport ! --source-ports 15:16',
  ],
  ['ICMP', 4, { notIcmpType: 10 }, '-m icmp ! --icmp-type 10'],
  ['ICMP with code', 4, { notIcmpTypeCode: { type: 10, code: 12 } }, '-m icmp ! --icmp-type 10/12'],
  ['ICMP', 6, { notIcmpType: 10 }, '-m icmp6 ! --icmpv6-type 10'],
  ['ICMP with code', 6, { notIcmpTypeCode: { type: 10, code: 12 } }, '-m icmp6 ! --icmpv6-type 10/12'],
  ['Dest net', 4, { notDstNet: ['10.0.0.0/16'] }, '! --destination 10.0.0.0/16'],
  ['Dest IP set', 4, { notDstIpSetIds: ['ipsetid1'] }, '-m set ! --match-set cali40ipsetid1 dst'],
  ['Dest IP set', 6, { notDstIpSetIds: ['ipsetid1'] }, '-m set ! --match-set cali60ipsetid1 dst'],
  [
    'Dest IP sets',
    4,
    { notDstIpSetIds: ['ipsetid1', 'ipsetid2'] },
    '-m set ! --match-set cali40ipsetid1 dst -m set ! --match-set cali40ipsetid2 dst',
  ],
  ['Dest ports', 4, { notDstPorts: [{ first: 10, last: 12 }] }, '-m multiport ! --destination-ports 10:12'],
  [
    'Dest ports (>15) should be broken into blocks',
    4,
    {
      notDstPorts: [
        { first: 1, last: 2 },
        { first: 3, last: 4 },
        { first: 5, last: 6 },
        { first: 7, last: 8 },
        { first: 9, last: 10 },
        { first: 11, last: 12 },
        { first: 13, last: 14 },
        { first: 15, last: 16 },
      ],
    },
    '-m multiport ! --destination-ports 1:2,3:4,5:6,7:8,9:10,11:12,13:14 -m multiport ! --destination-ports 15:16',
  ],
  [
    'Dest ports (multiple)',
    4,
    {
      notDstPorts: [
        { first: 10, last: 12 },
        { first: 20, last: 30 },
        { first: 8080, last: 8080 },
      ],
    },
    '-m multiport ! --destination-ports 10:12,20:30,8080',
  ],
];

/** filteredRuleTestData: [description, IP version, rule]. */
export const FILTERED_RULE_TEST_DATA: ReadonlyArray<readonly [string, 4 | 6, Omit<Rule, 'action'>]> = [
  ['Negated catch-all IPv4 source net (should be filtered out)', 4, { notSrcNet: ['0.0.0.0/0'] }],
  ['Negated catch-all IPv6 source net (should be filtered out)', 6, { notSrcNet: ['::/0'] }],
  ['Negated catch-all IPv4 destination net (should be filtered out)', 4, { notDstNet: ['0.0.0.0/0'] }],
  ['Negated catch-all IPv6 destination net (should be filtered out)', 6, { notDstNet: ['::/0'] }],
];

/** "Named port tests": [description, rule, expected "-A test ..." lines]. */
export const NAMED_PORT_ENTRIES = (
  c: Record<string, string>,
): ReadonlyArray<readonly [string, Omit<Rule, 'action'>, string[]]> => [
  [
    'Named port on its own rendered as single rule',
    {
      protocol: { name: 'tcp' },
      srcNamedPortIpSetIds: ['ipset-1'],
    },
    [
      '-A test -p tcp -m set --match-set cali40ipset-1 src,src --jump MARK --set-mark 0x80/0x80',
      c.returnRule,
    ],
  ],
  [
    'Two named ports need a block',
    {
      protocol: { name: 'udp' },
      srcNamedPortIpSetIds: ['ipset-1', 'ipset-2'],
    },
    [
      c.clearBothMarksRule,
      '-A test -m set --match-set cali40ipset-1 src,src --jump MARK --set-mark 0x200/0x200',
      '-A test -m set --match-set cali40ipset-2 src,src --jump MARK --set-mark 0x200/0x200',
      c.allowIfAllMarkAndUDPRule,
      c.returnRule,
    ],
  ],
  [
    'Multiple named + numeric ports',
    {
      protocol: { name: 'tcp' },
      srcPorts: [
        { first: 1, last: 2 },
        { first: 3, last: 4 },
        { first: 5, last: 6 },
        { first: 7, last: 8 },
        { first: 9, last: 10 },
        { first: 11, last: 12 },
        { first: 13, last: 14 },
        { first: 15, last: 16 },
      ],
      srcNamedPortIpSetIds: ['ipset-1', 'ipset-2', 'ipset-3'],
    },
    [
      c.clearBothMarksRule,
      '-A test -p tcp -m multiport --source-ports 1:2,3:4,5:6,7:8,9:10,11:12,13:14 --jump MARK --set-mark 0x200/0x200',
      '-A test -p tcp -m multiport --source-ports 15:16 --jump MARK --set-mark 0x200/0x200',
      '-A test -m set --match-set cali40ipset-1 src,src --jump MARK --set-mark 0x200/0x200',
      '-A test -m set --match-set cali40ipset-2 src,src --jump MARK --set-mark 0x200/0x200',
      '-A test -m set --match-set cali40ipset-3 src,src --jump MARK --set-mark 0x200/0x200',
      c.allowIfAllMarkAndTCPRule,
      c.returnRule,
    ],
  ],
  [
    'Overflow of numeric ports',
    {
      protocol: { name: 'udp' },
      srcPorts: [
        { first: 1, last: 2 },
        { first: 3, last: 4 },
        { first: 5, last: 6 },
        { first: 7, last: 8 },
        { first: 9, last: 10 },
        { first: 11, last: 12 },
        { first: 13, last: 14 },
        { first: 15, last: 16 },
      ],
    },
    [
      c.clearBothMarksRule,
      '-A test -p udp -m multiport --source-ports 1:2,3:4,5:6,7:8,9:10,11:12,13:14 --jump MARK --set-mark 0x200/0x200',
      '-A test -p udp -m multiport --source-ports 15:16 --jump MARK --set-mark 0x200/0x200',
      c.allowIfAllMarkAndUDPRule,
      c.returnRule,
    ],
  ],
  [
    'Named + numeric ports need a block',
    {
      protocol: { name: 'tcp' },
      srcPorts: [{ first: 1, last: 2 }],
      srcNamedPortIpSetIds: ['ipset-1'],
    },
    [
      c.clearBothMarksRule,
      '-A test -p tcp -m multiport --source-ports 1:2 --jump MARK --set-mark 0x200/0x200',
      '-A test -m set --match-set cali40ipset-1 src,src --jump MARK --set-mark 0x200/0x200',
      c.allowIfAllMarkAndTCPRule,
      c.returnRule,
    ],
  ],
  [
    'Single named port fits in rule',
    {
      protocol: { name: 'tcp' },
      dstNamedPortIpSetIds: ['ipset-1'],
    },
    [
      '-A test -p tcp -m set --match-set cali40ipset-1 dst,dst --jump MARK --set-mark 0x80/0x80',
      c.returnRule,
    ],
  ],
  [
    'Two named ports need a block',
    {
      protocol: { name: 'tcp' },
      dstNamedPortIpSetIds: ['ipset-1', 'ipset-2'],
    },
    [
      c.clearBothMarksRule,
      '-A test -m set --match-set cali40ipset-1 dst,dst --jump MARK --set-mark 0x200/0x200',
      '-A test -m set --match-set cali40ipset-2 dst,dst --jump MARK --set-mark 0x200/0x200',
      c.allowIfAllMarkAndTCPRule,
      c.returnRule,
    ],
  ],
  [
    'Named + numeric ports need a block',
    {
      protocol: { name: 'tcp' },
      dstPorts: [{ first: 1, last: 2 }],
      dstNamedPortIpSetIds: ['ipset-1'],
    },
    [
      c.clearBothMarksRule,
      '-A test -p tcp -m multiport --destination-ports 1:2 --jump MARK --set-mark 0x200/0x200',
      '-A test -m set --match-set cali40ipset-1 dst,dst --jump MARK --set-mark 0x200/0x200',
      c.allowIfAllMarkAndTCPRule,
      c.returnRule,
    ],
  ],
  [
    'Positive source needs block only',
    {
      protocol: { name: 'udp' },
      srcPorts: [{ first: 1, last: 2 }],
      srcNamedPortIpSetIds: ['ipset-1'],
      dstPorts: [{ first: 3, last: 4 }],
    },
    [
      c.clearBothMarksRule,
      '-A test -p udp -m multiport --source-ports 1:2 --jump MARK --set-mark 0x200/0x200',
      '-A test -m set --match-set cali40ipset-1 src,src --jump MARK --set-mark 0x200/0x200',
      '-A test -p udp -m multiport --destination-ports 3:4 -m mark --mark 0x200/0x200 --jump MARK --set-mark 0x80/0x80',
      c.returnRule,
    ],
  ],
  [
    'Positive dest needs block only',
    {
      protocol: { name: 'tcp' },
      srcPorts: [{ first: 1, last: 2 }],
      dstPorts: [{ first: 3, last: 4 }],
      dstNamedPortIpSetIds: ['ipset-1'],
    },
    [
      c.clearBothMarksRule,
      '-A test -p tcp -m multiport --destination-ports 3:4 --jump MARK --set-mark 0x200/0x200',
      '-A test -m set --match-set cali40ipset-1 dst,dst --jump MARK --set-mark 0x200/0x200',
      '-A test -p tcp -m multiport --source-ports 1:2 -m mark --mark 0x200/0x200 --jump MARK --set-mark 0x80/0x80',
      c.returnRule,
    ],
  ],
  [
    'Positive source and dest need blocks',
    {
      protocol: { name: 'tcp' },
      srcPorts: [{ first: 1, last: 2 }],
      srcNamedPortIpSetIds: ['ipset-1'],
      dstPorts: [{ first: 3, last: 4 }],
      dstNamedPortIpSetIds: ['ipset-2'],
    },
    [
      c.clearBothMarksRule,
      '-A test -p tcp -m multiport --source-ports 1:2 --jump MARK --set-mark 0x200/0x200',
      '-A test -m set --match-set cali40ipset-1 src,src --jump MARK --set-mark 0x200/0x200',
      '-A test -p tcp -m multiport --destination-ports 3:4 --jump MARK --set-mark 0x400/0x400',
      '-A test -m set --match-set cali40ipset-2 dst,dst --jump MARK --set-mark 0x400/0x400',
      c.allBlocksPassAndEqThisBlockPassRule,
      c.allowIfAllMarkAndTCPRule,
      c.returnRule,
    ],
  ],
  [
    'Overflow of numeric ports',
    {
      protocol: { name: 'udp' },
      dstPorts: [
        { first: 1, last: 2 },
        { first: 3, last: 4 },
        { first: 5, last: 6 },
        { first: 7, last: 8 },
        { first: 9, last: 10 },
        { first: 11, last: 12 },
        { first: 13, last: 14 },
        { first: 15, last: 16 },
      ],
    },
    [
      c.clearBothMarksRule,
      '-A test -p udp -m multiport --destination-ports 1:2,3:4,5:6,7:8,9:10,11:12,13:14 --jump MARK --set-mark 0x200/0x200',
      '-A test -p udp -m multiport --destination-ports 15:16 --jump MARK --set-mark 0x200/0x200',
      c.allowIfAllMarkAndUDPRule,
      c.returnRule,
    ],
  ],
  [
    'Negated named + numeric ports rendered in single rule',
    {
      protocol: { name: 'tcp' },
      notSrcPorts: [{ first: 1, last: 2 }],
      notSrcNamedPortIpSetIds: ['ipset-1'],
    },
    [
      '-A test -p tcp -m multiport ! --source-ports 1:2 ' +
        '-m set ! --match-set cali40ipset-1 src,src --jump MARK --set-mark 0x80/0x80',
      c.returnRule,
    ],
  ],
  [
    'Multiple negated named + numeric ports rendered in single rule',
    {
      protocol: { name: 'tcp' },
      notSrcPorts: [
        { first: 1, last: 2 },
        { first: 3, last: 4 },
        { first: 5, last: 6 },
        { first: 7, last: 8 },
        { first: 9, last: 10 },
        { first: 11, last: 12 },
        { first: 13, last: 14 },
        { first: 15, last: 16 },
      ],
      notSrcNamedPortIpSetIds: ['ipset-1', 'ipset-2', 'ipset-3'],
    },
    [
      '-A test -p tcp ' +
        '-m multiport ! --source-ports 1:2,3:4,5:6,7:8,9:10,11:12,13:14 ' +
        '-m multiport ! --source-ports 15:16 ' +
        '-m set ! --match-set cali40ipset-1 src,src ' +
        '-m set ! --match-set cali40ipset-2 src,src ' +
        '-m set ! --match-set cali40ipset-3 src,src ' +
        '--jump MARK --set-mark 0x80/0x80',
      c.returnRule,
    ],
  ],
  [
    'Negated named + numeric ports rendered in single rule',
    {
      protocol: { name: 'tcp' },
      notDstPorts: [{ first: 1, last: 2 }],
      notDstNamedPortIpSetIds: ['ipset-1'],
    },
    [
      '-A test -p tcp -m multiport ! --destination-ports 1:2 ' +
        '-m set ! --match-set cali40ipset-1 dst,dst --jump MARK --set-mark 0x80/0x80',
      c.returnRule,
    ],
  ],
  [
    'Multiple negated named + numeric ports rendered in single rule',
    {
      protocol: { name: 'udp' },
      notDstPorts: [
        { first: 1, last: 2 },
        { first: 3, last: 4 },
        { first: 5, last: 6 },
        { first: 7, last: 8 },
        { first: 9, last: 10 },
        { first: 11, last: 12 },
        { first: 13, last: 14 },
        { first: 15, last: 16 },
      ],
      notDstNamedPortIpSetIds: ['ipset-1', 'ipset-2', 'ipset-3'],
    },
    [
      '-A test -p udp ' +
        '-m multiport ! --destination-ports 1:2,3:4,5:6,7:8,9:10,11:12,13:14 ' +
        '-m multiport ! --destination-ports 15:16 ' +
        '-m set ! --match-set cali40ipset-1 dst,dst ' +
        '-m set ! --match-set cali40ipset-2 dst,dst ' +
        '-m set ! --match-set cali40ipset-3 dst,dst ' +
        '--jump MARK --set-mark 0x80/0x80',
      c.returnRule,
    ],
  ],
  [
    'numeric, named ports and CIDRs',
    {
      protocol: { name: 'tcp' },
      srcPorts: [
        { first: 1, last: 2 },
        { first: 3, last: 4 },
        { first: 5, last: 6 },
        { first: 7, last: 8 },
        { first: 9, last: 10 },
        { first: 11, last: 12 },
        { first: 13, last: 14 },
        { first: 15, last: 16 },
      ],
      srcNamedPortIpSetIds: ['ipset-1', 'ipset-2', 'ipset-3'],
      srcNet: ['10.1.0.0/16', '11.0.0.0/8'],
    },
    [
      c.clearBothMarksRule,
      '-A test -p tcp -m multiport --source-ports 1:2,3:4,5:6,7:8,9:10,11:12,13:14 --jump MARK --set-mark 0x200/0x200',
      '-A test -p tcp -m multiport --source-ports 15:16 --jump MARK --set-mark 0x200/0x200',
      '-A test -m set --match-set cali40ipset-1 src,src --jump MARK --set-mark 0x200/0x200',
      '-A test -m set --match-set cali40ipset-2 src,src --jump MARK --set-mark 0x200/0x200',
      '-A test -m set --match-set cali40ipset-3 src,src --jump MARK --set-mark 0x200/0x200',
      '-A test --source 10.1.0.0/16 --jump MARK --set-mark 0x400/0x400',
      '-A test --source 11.0.0.0/8 --jump MARK --set-mark 0x400/0x400',
      c.allBlocksPassAndEqThisBlockPassRule,
      c.allowIfAllMarkAndTCPRule,
      c.returnRule,
    ],
  ],
  [
    'positive and negatednumeric, named ports and CIDRs',
    {
      protocol: { name: 'tcp' },
      srcPorts: [
        { first: 1, last: 2 },
        { first: 3, last: 4 },
        { first: 5, last: 6 },
        { first: 7, last: 8 },
        { first: 9, last: 10 },
        { first: 11, last: 12 },
        { first: 13, last: 14 },
        { first: 15, last: 16 },
      ],
      srcNamedPortIpSetIds: ['ipset-1'],
      srcNet: ['10.1.0.0/16', '11.0.0.0/8'],
      notSrcPorts: [{ first: 101, last: 101 }],
      notSrcNamedPortIpSetIds: ['ipset-3'],
      notSrcNet: ['14.1.0.0/16', '15.0.0.0/8'],

      dstPorts: [{ first: 2, last: 3 }],
      dstNamedPortIpSetIds: ['ipset-2'],
      dstNet: ['12.1.0.0/16', '13.0.0.0/8'],
      notDstPorts: [{ first: 201, last: 201 }],
      notDstNamedPortIpSetIds: ['ipset-4'],
      notDstNet: ['16.1.0.0/16', '17.0.0.0/8'],
    },
    [
      c.clearBothMarksRule,
      '-A test -p tcp -m multiport --source-ports 1:2,3:4,5:6,7:8,9:10,11:12,13:14 --jump MARK --set-mark 0x200/0x200',
      '-A test -p tcp -m multiport --source-ports 15:16 --jump MARK --set-mark 0x200/0x200',
      '-A test -m set --match-set cali40ipset-1 src,src --jump MARK --set-mark 0x200/0x200',
      '-A test -p tcp -m multiport --destination-ports 2:3 --jump MARK --set-mark 0x400/0x400',
      '-A test -m set --match-set cali40ipset-2 dst,dst --jump MARK --set-mark 0x400/0x400',
      c.allBlocksPassAndEqThisBlockPassRule,
      '-A test --source 10.1.0.0/16 --jump MARK --set-mark 0x400/0x400',
      '-A test --source 11.0.0.0/8 --jump MARK --set-mark 0x400/0x400',
      c.allBlocksPassAndEqThisBlockPassRule,
      '-A test --destination 12.1.0.0/16 --jump MARK --set-mark 0x400/0x400',
      '-A test --destination 13.0.0.0/8 --jump MARK --set-mark 0x400/0x400',
      c.allBlocksPassAndEqThisBlockPassRule,
      '-A test --source 14.1.0.0/16 --jump MARK --set-mark 0/0x200',
      '-A test --source 15.0.0.0/8 --jump MARK --set-mark 0/0x200',
      '-A test --destination 16.1.0.0/16 --jump MARK --set-mark 0/0x200',
      '-A test --destination 17.0.0.0/8 --jump MARK --set-mark 0/0x200',
      '-A test -p tcp ' +
        '-m multiport ! --source-ports 101 ' +
        '-m set ! --match-set cali40ipset-3 src,src ' +
        '-m multiport ! --destination-ports 201 ' +
        '-m set ! --match-set cali40ipset-4 dst,dst ' +
        '-m mark --mark 0x200/0x200 ' +
        '--jump MARK --set-mark 0x80/0x80',
      c.returnRule,
    ],
  ],
];

/** "Port split tests": [description, input, expected splits] (nil and empty both give no splits). */
export const PORT_SPLIT_ENTRIES: ReadonlyArray<readonly [string, PortRange[], PortRange[][]]> = [
  ['nil input', [], []],
  ['empty input', [], []],
  ['single input', [{ first: 1, last: 1 }], [[{ first: 1, last: 1 }]]],
  ['range input', [{ first: 1, last: 10 }], [[{ first: 1, last: 10 }]]],
  [
    'exactly 15 single ports should give exactly one split',
    [
      { first: 1, last: 1 },
      { first: 2, last: 2 },
      { first: 3, last: 3 },
      { first: 4, last: 4 },
      { first: 5, last: 5 },
      { first: 6, last: 6 },
      { first: 7, last: 7 },
      { first: 8, last: 8 },
      { first: 9, last: 9 },
      { first: 10, last: 10 },
      { first: 11, last: 11 },
      { first: 12, last: 12 },
      { first: 13, last: 13 },
      { first: 14, last: 14 },
      { first: 15, last: 15 },
    ],
    [
      [
        { first: 1, last: 1 },
        { first: 2, last: 2 },
        { first: 3, last: 3 },
        { first: 4, last: 4 },
        { first: 5, last: 5 },
        { first: 6, last: 6 },
        { first: 7, last: 7 },
        { first: 8, last: 8 },
        { first: 9, last: 9 },
        { first: 10, last: 10 },
        { first: 11, last: 11 },
        { first: 12, last: 12 },
        { first: 13, last: 13 },
        { first: 14, last: 14 },
        { first: 15, last: 15 },
      ],
    ],
  ],
  [
    'exactly 16 single ports should give exactly two splits',
    [
      { first: 1, last: 1 },
      { first: 2, last: 2 },
      { first: 3, last: 3 },
      { first: 4, last: 4 },
      { first: 5, last: 5 },
      { first: 6, last: 6 },
      { first: 7, last: 7 },
      { first: 8, last: 8 },
      { first: 9, last: 9 },
      { first: 10, last: 10 },
      { first: 11, last: 11 },
      { first: 12, last: 12 },
      { first: 13, last: 13 },
      { first: 14, last: 14 },
      { first: 15, last: 15 },
      { first: 16, last: 16 },
    ],
    [
      [
        { first: 1, last: 1 },
        { first: 2, last: 2 },
        { first: 3, last: 3 },
        { first: 4, last: 4 },
        { first: 5, last: 5 },
        { first: 6, last: 6 },
        { first: 7, last: 7 },
        { first: 8, last: 8 },
        { first: 9, last: 9 },
        { first: 10, last: 10 },
        { first: 11, last: 11 },
        { first: 12, last: 12 },
        { first: 13, last: 13 },
        { first: 14, last: 14 },
        { first: 15, last: 15 },
      ],
      [{ first: 16, last: 16 }],
    ],
  ],
  [
    'port ranges should count for 2 single ports',
    [
      { first: 1, last: 2 },
      { first: 3, last: 4 },
      { first: 5, last: 6 },
      { first: 7, last: 8 },
      { first: 9, last: 10 },
      { first: 11, last: 12 },
      { first: 13, last: 14 },
      { first: 15, last: 15 },
    ],
    [
      [
        { first: 1, last: 2 },
        { first: 3, last: 4 },
        { first: 5, last: 6 },
        { first: 7, last: 8 },
        { first: 9, last: 10 },
        { first: 11, last: 12 },
        { first: 13, last: 14 },
        { first: 15, last: 15 },
      ],
    ],
  ],
  [
    'port range straggling 15-16 should be put in second group',
    [
      { first: 1, last: 2 },
      { first: 3, last: 4 },
      { first: 5, last: 6 },
      { first: 7, last: 8 },
      { first: 9, last: 10 },
      { first: 11, last: 12 },
      { first: 13, last: 14 },
      { first: 15, last: 16 },
    ],
    [
      [
        { first: 1, last: 2 },
        { first: 3, last: 4 },
        { first: 5, last: 6 },
        { first: 7, last: 8 },
        { first: 9, last: 10 },
        { first: 11, last: 12 },
        { first: 13, last: 14 },
      ],
      [{ first: 15, last: 16 }],
    ],
  ],
  [
    'further splits should be made in correct place',
    [
      { first: 1, last: 2 },
      { first: 3, last: 4 },
      { first: 5, last: 6 },
      { first: 7, last: 8 },
      { first: 9, last: 10 },
      { first: 11, last: 12 },
      { first: 13, last: 14 },
      { first: 15, last: 16 },
      { first: 21, last: 22 },
      { first: 23, last: 24 },
      { first: 23, last: 26 },
      { first: 27, last: 28 },
      { first: 29, last: 210 },
      { first: 211, last: 212 },
      { first: 213, last: 214 },
      { first: 215, last: 216 },
    ],
    [
      [
        { first: 1, last: 2 },
        { first: 3, last: 4 },
        { first: 5, last: 6 },
        { first: 7, last: 8 },
        { first: 9, last: 10 },
        { first: 11, last: 12 },
        { first: 13, last: 14 },
      ],
      [
        { first: 15, last: 16 },
        { first: 21, last: 22 },
        { first: 23, last: 24 },
        { first: 23, last: 26 },
        { first: 27, last: 28 },
        { first: 29, last: 210 },
        { first: 211, last: 212 },
      ],
      [
        { first: 213, last: 214 },
        { first: 215, last: 216 },
      ],
    ],
  ],
];

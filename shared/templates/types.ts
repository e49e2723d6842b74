// The Template kind, after OpenShift's template.openshift.io/v1: parameters (given, defaulted or
// generated), the objects they are substituted into, labels every object gets, and a message for
// whoever instantiates it. Stored under `spec`; a manifest gives these fields at the top level.
import * as z from 'zod';

export const PARAMETER_NAME = /^[a-zA-Z0-9_]+$/;

export const templateParameter = z
  .strictObject({
    name: z.string().min(1).max(253).regex(PARAMETER_NAME, 'parameter names are letters, digits and "_"'),
    displayName: z.string().max(256).optional(),
    description: z.string().max(4096).optional(),
    value: z.string().max(64 * 1024).optional(),
    generate: z.literal('expression', 'the one generator is "expression"').optional(),
    /** The expression a generated value is made from: `[a-zA-Z0-9]{16}`. */
    from: z.string().max(1024).optional(),
    required: z.boolean().optional(),
  })
  .refine((p) => !p.generate || p.from, { message: 'generate: expression needs `from`, e.g. "[a-zA-Z0-9]{16}"', path: ['from'] });
export type TemplateParameter = z.infer<typeof templateParameter>;

/** One object of a template, as a manifest gives it; checked when it is created, not when the template is stored. */
export const templateObject = z.looseObject({ kind: z.string().min(1).max(253), apiVersion: z.string().max(253).optional() });

export const templateSpec = z
  .strictObject({
    parameters: z.array(templateParameter).max(500).default([]),
    objects: z.array(templateObject).max(500).default([]),
    labels: z.record(z.string().max(253), z.string().max(63)).optional(),
    message: z.string().max(16 * 1024).optional(),
  })
  .superRefine((s, ctx) => {
    const seen = new Set<string>();
    s.parameters.forEach((p, i) => {
      if (seen.has(p.name)) ctx.addIssue({ code: 'custom', path: ['parameters', i, 'name'], message: `parameter "${p.name}" is given twice` });
      seen.add(p.name);
    });
  });
export type TemplateSpec = z.infer<typeof templateSpec>;


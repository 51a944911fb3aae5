/* cfn.h: a CloudFormation template for a state machine: the
 * AWS::StepFunctions::StateMachine (its definition as written, with its
 * ${Name} placeholders kept and given as DefinitionSubstitutions from
 * Parameters whose defaults are the substitution values) and an
 * AWS::IAM::Role Step Functions assumes, whose policy allows what the
 * definition's Task states use and nothing else:
 *
 *   Lambda (function ARNs, lambda:invoke FunctionName)  lambda:InvokeFunction
 *   athena:*QueryExecution / getQueryResults            athena, Glue catalog,
 *                                                       S3 (result location,
 *                                                       LOCATIONs in the SQL)
 *   glue:startJobRun[.sync]                             glue job run actions
 *   aws-sdk:s3:*                                        s3:<Op> on the bucket
 *   dynamodb:*Item (optimized and aws-sdk)              dynamodb item actions
 *   states:startExecution[.sync[:2]]                    states + the events
 *                                                       rule of .sync
 *   sqs:sendMessage, sns:publish                        the queue, the topic
 *
 * following AWS's documented policies for each integration (see cfn.c).
 * No statement has a "*" action; a resource is a wildcard only where the
 * definition leaves it to run time (a ".$" JsonPath parameter), and every
 * such place, and every Task resource not understood, is listed in the
 * template's Metadata "asl:Notes". */
#ifndef ASL_CFN_H
#define ASL_CFN_H

#include <cjson/cJSON.h>

/* The template for definition text (as written), substitution values subs
 * (an object; NULL for none), state machine name and type (NULL:
 * STANDARD). NULL with *msg (new string) when text is no JSON object once
 * substituted. */
cJSON *asl_cfn_template(const char *text, const cJSON *subs, const char *name,
                        const char *type, char **msg);

/* v as YAML (block style; every string double-quoted). New string. */
char *asl_cfn_yaml(const cJSON *v);

#endif

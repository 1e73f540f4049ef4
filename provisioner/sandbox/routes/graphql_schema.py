"""The subset of GitLab's GraphQL schema the tool reads in bulk (and the one mutation it makes, the
CI/CD catalog's `catalogResourcesCreate` [G:app/graphql/mutations/ci/catalog/resources/create.rb]),
under GitLab's own names.

Names, nullability and enum values follow GitLab's types [G:app/graphql/types/project_type.rb,
ci/ci_cd_setting_type.rb, ci/project_variable_type.rb, ci/job_token_scope_type.rb,
ci/job_token_accessible_project_type.rb, ci/runner_type.rb, projects/branch_rule_type.rb,
branch_rules/branch_protection_type.rb, branch_protections/base_access_level_type.rb,
packages/protection/rule_type.rb, container_registry/protection/rule_type.rb, repository_type.rb,
repository/blob_type.rb, permission_types/project.rb, member_interface.rb,
access_level_type.rb, project_member_relation_enum.rb, ci/pipeline_schedule_type.rb,
ci/pipeline_schedule_variable_type.rb, ci/variable_interface.rb] and resolvers [G:app/graphql/resolvers/
projects_resolver.rb (at most 50 fullPaths), blobs_resolver.rb, ci/runners_resolver.rb,
ci/job_token_scope_resolver.rb, project_members_resolver.rb, ci/project_pipeline_schedules_resolver.rb,
project_merge_requests_resolver.rb]. Fields GitLab has and the tool does not read are left out; asking
for one is a validation error, as it is on a GitLab that lacks a field.

`GITALY` and `PER_ITEM_ARGUMENTS` mark the fields that count extra in GitLab's query complexity
(see graphql_cost.py).
"""

from __future__ import annotations

from functools import lru_cache

from graphql import (
    DocumentNode,
    GraphQLSchema,
    ObjectTypeDefinitionNode,
    build_ast_schema,
    build_schema,
    parse,
)

from provisioner.gitlab_versions import FEATURES, Version, available

SDL = """
# An ISO 8601 date and time [G:app/graphql/types/time_type.rb].
scalar Time

type Query {
  currentUser: CurrentUser
  project(fullPath: ID!): Project
  projects(
    fullPaths: [String!], ids: [ID!], membership: Boolean, search: String, sort: String,
    first: Int, after: String, last: Int, before: String
  ): ProjectConnection
  group(fullPath: ID!): Group
  queryComplexity: QueryComplexity
}

type QueryComplexity { score: Int limit: Int }

type Mutation {
  catalogResourcesCreate(input: CatalogResourcesCreateInput!): CatalogResourcesCreatePayload
}
input CatalogResourcesCreateInput { clientMutationId: String projectPath: ID! }
type CatalogResourcesCreatePayload { clientMutationId: String errors: [String!]! }

type CurrentUser { id: ID! username: String! name: String! }

type PageInfo {
  hasNextPage: Boolean!
  hasPreviousPage: Boolean!
  startCursor: String
  endCursor: String
}

type Group {
  id: ID!
  fullPath: ID!
  name: String!
  path: String!
  projects(
    includeSubgroups: Boolean = false, search: String, sort: String,
    first: Int, after: String, last: Int, before: String
  ): ProjectConnection!
}

type ProjectConnection { count: Int! nodes: [Project] edges: [ProjectEdge] pageInfo: PageInfo! }
type ProjectEdge { cursor: String! node: Project }

type ProjectPermissions {
  adminProject: Boolean!
  readProject: Boolean!
  downloadCode: Boolean!
  pushCode: Boolean!
}

type Project {
  id: ID!
  fullPath: ID!
  path: String!
  name: String!
  nameWithNamespace: String!
  description: String
  isCatalogResource: Boolean
  visibility: String
  archived: Boolean
  webUrl: String
  topics: [String!]
  ciConfigPathOrDefault: String!
  sharedRunnersEnabled: Boolean
  publicJobs: Boolean
  onlyAllowMergeIfPipelineSucceeds: Boolean
  allowMergeOnSkippedPipeline: Boolean
  onlyAllowMergeIfAllDiscussionsAreResolved: Boolean
  removeSourceBranchAfterMerge: Boolean
  userPermissions: ProjectPermissions!
  ciCdSettings: ProjectCiCdSetting
  ciVariables(sort: CiVariableSort, first: Int, after: String, last: Int, before: String): CiProjectVariableConnection
  ciJobTokenScope: CiJobTokenScopeType
  runners(
    type: CiRunnerType, paused: Boolean, tagList: [String!], search: String,
    first: Int, after: String, last: Int, before: String
  ): CiRunnerConnection
  branchRules(first: Int, after: String, last: Int, before: String): BranchRuleConnection
  packagesProtectionRules(first: Int, after: String, last: Int, before: String): PackagesProtectionRuleConnection
  containerProtectionRepositoryRules(
    first: Int, after: String, last: Int, before: String
  ): ContainerProtectionRepositoryRuleConnection
  repository: Repository
  projectMembers(
    search: String, sort: String, relations: [ProjectMemberRelation!],
    first: Int, after: String, last: Int, before: String
  ): MemberInterfaceConnection
  pipelineSchedules(first: Int, after: String, last: Int, before: String): PipelineScheduleConnection
  mergeRequests(
    iids: [String!], sourceBranches: [String!], targetBranches: [String!], state: MergeRequestState,
    first: Int, after: String, last: Int, before: String
  ): MergeRequestConnection
}

# [G:app/graphql/types/merge_request_type.rb, merge_request_state_enum.rb,
# resolvers/project_merge_requests_resolver.rb (MergeRequestsResolver's arguments)]
enum MergeRequestState { merged opened closed locked all }
type MergeRequest {
  id: ID!
  iid: String!
  title: String!
  description: String
  state: MergeRequestState!
  draft: Boolean!
  sourceBranch: String!
  targetBranch: String!
  diffHeadSha: String
  webUrl: String
}
type MergeRequestConnection { count: Int! nodes: [MergeRequest] edges: [MergeRequestEdge] pageInfo: PageInfo! }
type MergeRequestEdge { cursor: String! node: MergeRequest }

enum ProjectMemberRelation { DIRECT INHERITED DESCENDANTS INVITED_GROUPS SHARED_INTO_ANCESTORS }
enum AccessLevelEnum { NO_ACCESS MINIMAL_ACCESS GUEST PLANNER REPORTER DEVELOPER MAINTAINER OWNER ADMIN }
type AccessLevel { integerValue: Int stringValue: AccessLevelEnum humanAccess: String }
type UserCore { id: ID! username: String! name: String! }
interface MemberInterface {
  id: ID!
  accessLevel: AccessLevel
  createdAt: String
  expiresAt: String
  user: UserCore
}
type ProjectMember implements MemberInterface {
  id: ID!
  accessLevel: AccessLevel
  createdAt: String
  expiresAt: String
  user: UserCore
}
type MemberInterfaceConnection {
  count: Int! nodes: [MemberInterface] edges: [MemberInterfaceEdge] pageInfo: PageInfo!
}
type MemberInterfaceEdge { cursor: String! node: MemberInterface }

type PipelineSchedule {
  id: ID!
  description: String
  owner: UserCore
  active: Boolean!
  refForDisplay: String
  ref: String
  forTag: Boolean!
  cron: String!
  cronTimezone: String!
  variables(first: Int, after: String, last: Int, before: String): PipelineScheduleVariableConnection
}
type PipelineScheduleConnection {
  count: Int! nodes: [PipelineSchedule] edges: [PipelineScheduleEdge] pageInfo: PageInfo!
}
type PipelineScheduleEdge { cursor: String! node: PipelineSchedule }
type PipelineScheduleVariable { id: ID! key: String value: String variableType: CiVariableType raw: Boolean }
type PipelineScheduleVariableConnection {
  nodes: [PipelineScheduleVariable] edges: [PipelineScheduleVariableEdge] pageInfo: PageInfo!
}
type PipelineScheduleVariableEdge { cursor: String! node: PipelineScheduleVariable }

type ProjectCiCdSetting {
  inboundJobTokenScopeEnabled: Boolean
  jobTokenScopeEnabled: Boolean
  keepLatestArtifact: Boolean
  mergePipelinesEnabled: Boolean
  groupRunnersEnabled: Boolean
  pipelineVariablesMinimumOverrideRole: String
  pushRepositoryForJobTokenAllowed: Boolean
}

enum CiVariableType { ENV_VAR FILE }
enum CiVariableSort { KEY_ASC KEY_DESC }

type CiProjectVariable {
  id: ID!
  key: String
  value: String
  variableType: CiVariableType
  environmentScope: String
  protected: Boolean
  masked: Boolean
  hidden: Boolean
  raw: Boolean
  description: String
}
type CiProjectVariableConnection {
  nodes: [CiProjectVariable] edges: [CiProjectVariableEdge] pageInfo: PageInfo!
}
type CiProjectVariableEdge { cursor: String! node: CiProjectVariable }

type CiJobTokenScopeType {
  inboundAllowlist(first: Int, after: String, last: Int, before: String): CiJobTokenAccessibleProjectConnection!
  groupsAllowlist(first: Int, after: String, last: Int, before: String): CiJobTokenAccessibleGroupConnection!
  inboundAllowlistCount: Int!
  groupsAllowlistCount: Int!
}
type CiJobTokenAccessibleProject { id: ID! name: String! path: String! fullPath: ID! webUrl: String }
type CiJobTokenAccessibleProjectConnection {
  nodes: [CiJobTokenAccessibleProject] edges: [CiJobTokenAccessibleProjectEdge] pageInfo: PageInfo!
}
type CiJobTokenAccessibleProjectEdge { cursor: String! node: CiJobTokenAccessibleProject }
type CiJobTokenAccessibleGroup { id: ID! name: String! path: String! fullPath: ID! webUrl: String }
type CiJobTokenAccessibleGroupConnection {
  nodes: [CiJobTokenAccessibleGroup] edges: [CiJobTokenAccessibleGroupEdge] pageInfo: PageInfo!
}
type CiJobTokenAccessibleGroupEdge { cursor: String! node: CiJobTokenAccessibleGroup }

enum CiRunnerType { INSTANCE_TYPE GROUP_TYPE PROJECT_TYPE }
enum CiRunnerAccessLevel { NOT_PROTECTED REF_PROTECTED }
enum CiRunnerStatus { ONLINE OFFLINE STALE NEVER_CONTACTED }

type CiRunner {
  id: ID!
  description: String
  runnerType: CiRunnerType!
  paused: Boolean!
  active: Boolean!
  locked: Boolean
  runUntagged: Boolean!
  tagList: [String!]
  accessLevel: CiRunnerAccessLevel!
  maximumTimeout: Int
  maintenanceNote: String
  contactedAt: Time
  status: CiRunnerStatus!
  projectCount: Int
  ownerProject: Project
}
type CiRunnerConnection { count: Int! nodes: [CiRunner] edges: [CiRunnerEdge] pageInfo: PageInfo! }
type CiRunnerEdge { cursor: String! node: CiRunner }

type BranchRule {
  name: String!
  isDefault: Boolean!
  isProtected: Boolean!
  matchingBranchesCount: Int!
  branchProtection: BranchProtection
}
type BranchRuleConnection { nodes: [BranchRule] edges: [BranchRuleEdge] pageInfo: PageInfo! }
type BranchRuleEdge { cursor: String! node: BranchRule }
type BranchProtection {
  allowForcePush: Boolean!
  pushAccessLevels(first: Int, after: String, last: Int, before: String): PushAccessLevelConnection
  mergeAccessLevels(first: Int, after: String, last: Int, before: String): MergeAccessLevelConnection
}
type PushAccessLevel { accessLevel: Int! accessLevelDescription: String! }
type PushAccessLevelConnection {
  nodes: [PushAccessLevel] edges: [PushAccessLevelEdge] pageInfo: PageInfo!
}
type PushAccessLevelEdge { cursor: String! node: PushAccessLevel }
type MergeAccessLevel { accessLevel: Int! accessLevelDescription: String! }
type MergeAccessLevelConnection {
  nodes: [MergeAccessLevel] edges: [MergeAccessLevelEdge] pageInfo: PageInfo!
}
type MergeAccessLevelEdge { cursor: String! node: MergeAccessLevel }

enum PackagesProtectionRulePackageType { CONAN GENERIC HELM MAVEN NPM NUGET PYPI }
enum PackagesProtectionRuleAccessLevel { MAINTAINER OWNER ADMIN }
enum PackagesProtectionRuleAccessLevelForDelete { OWNER ADMIN }
type PackagesProtectionRule {
  id: ID!
  packageNamePattern: String!
  packageType: PackagesProtectionRulePackageType!
  minimumAccessLevelForPush: PackagesProtectionRuleAccessLevel
  minimumAccessLevelForDelete: PackagesProtectionRuleAccessLevelForDelete
}
type PackagesProtectionRuleConnection {
  nodes: [PackagesProtectionRule] edges: [PackagesProtectionRuleEdge] pageInfo: PageInfo!
}
type PackagesProtectionRuleEdge { cursor: String! node: PackagesProtectionRule }

enum ContainerProtectionRepositoryRuleAccessLevel { MAINTAINER OWNER ADMIN }
type ContainerProtectionRepositoryRule {
  id: ID!
  repositoryPathPattern: String!
  minimumAccessLevelForPush: ContainerProtectionRepositoryRuleAccessLevel
  minimumAccessLevelForDelete: ContainerProtectionRepositoryRuleAccessLevel
}
type ContainerProtectionRepositoryRuleConnection {
  nodes: [ContainerProtectionRepositoryRule]
  edges: [ContainerProtectionRepositoryRuleEdge]
  pageInfo: PageInfo!
}
type ContainerProtectionRepositoryRuleEdge { cursor: String! node: ContainerProtectionRepositoryRule }

enum RefType { HEADS TAGS }

type Repository {
  rootRef: String
  empty: Boolean!
  exists: Boolean!
  blobs(paths: [String!]!, ref: String, refType: RefType,
        first: Int, after: String, last: Int, before: String): RepositoryBlobConnection
}
type RepositoryBlob {
  id: ID!
  oid: String!
  path: String!
  name: String
  mode: String
  size: Int
  rawSize: Int
  rawBlob: String
  rawTextBlob: String
  webPath: String
}
type RepositoryBlobConnection { nodes: [RepositoryBlob] edges: [RepositoryBlobEdge] pageInfo: PageInfo! }
type RepositoryBlobEdge { cursor: String! node: RepositoryBlob }
"""

GITALY = frozenset(
    {
        # calls_gitaly: true in GitLab's types: one more point each
        ("Repository", "rootRef"),
        ("Repository", "empty"),
        ("Repository", "exists"),
        ("Repository", "blobs"),
        ("BranchRule", "isDefault"),
        ("MergeRequest", "diffHeadSha"),
        ("BranchRule", "matchingBranchesCount"),
    }
)
"""Fields that call Gitaly, which GitLab's BaseField charges one more point [G:app/graphql/types/base_field.rb]."""

PER_ITEM_ARGUMENTS = {("Repository", "blobs"): "paths"}
"""Resolvers whose complexity grows with a list argument [G:app/graphql/resolvers/blobs_resolver.rb]."""


def build(missing: frozenset[tuple[str, str]] = frozenset()) -> GraphQLSchema:
    """The schema, without the (type, field) pairs in `missing` (what an older GitLab lacks)."""
    if not missing:
        return build_schema(SDL)
    document = parse(SDL)
    definitions = []
    for definition in document.definitions:
        if isinstance(definition, ObjectTypeDefinitionNode):
            kept = tuple(
                f for f in definition.fields or () if (definition.name.value, f.name.value) not in missing
            )
            definition = ObjectTypeDefinitionNode(
                name=definition.name,
                fields=kept,
                interfaces=definition.interfaces,
                directives=definition.directives,
                description=definition.description,
            )
        definitions.append(definition)
    return build_ast_schema(DocumentNode(definitions=tuple(definitions)))


GATED = tuple(
    (name, tuple(name.removeprefix("graphql:").split(".", 1)))
    for name in FEATURES
    if name.startswith("graphql:")
)
"""The fields provisioner.gitlab_versions dates: (feature name, (type, field))."""


@lru_cache(maxsize=16)
def for_version(version: str) -> GraphQLSchema:
    """The schema the served GitLab version has: one unknown field fails the whole query there."""
    server = Version.parse(version)
    return build(frozenset(pair for name, pair in GATED if not available(name, server)))  # type: ignore[misc]

using System.Collections.Generic;
using System.Linq;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using PinAnalyzers.Flow;

namespace PinAnalyzers.CodeFixes
{
    /// <summary>Where a store of a pin into the field sits, which decides what a fix can put around it.</summary>
    internal enum PinStorePlacement
    {
        /// <summary>A statement of a block or switch section: statements can go before and after it.</summary>
        InList,

        /// <summary>The embedded statement of an <c>if</c>, loop, <c>using</c>...: it can become a block.</summary>
        Embedded,

        /// <summary>The expression body of a constructor or void method or local function: the member can get a block body.</summary>
        ArrowBody,

        /// <summary>Inside a larger expression: no room for statements.</summary>
        Other,
    }

    /// <summary><c>_field = pin</c>: the assignment, the pin site, and where the assignment sits.</summary>
    internal sealed class HandleFieldPin
    {
        internal HandleFieldPin(AssignmentExpressionSyntax assignment, PinSite site, SyntaxNode holder, PinStorePlacement placement)
        {
            Assignment = assignment;
            Site = site;
            Holder = holder;
            Placement = placement;
        }

        internal AssignmentExpressionSyntax Assignment { get; }

        internal PinSite Site { get; }

        /// <summary>The expression statement, the member for <see cref="PinStorePlacement.ArrowBody"/>, else the assignment.</summary>
        internal SyntaxNode Holder { get; }

        internal PinStorePlacement Placement { get; }
    }

    /// <summary>A use of a handle member: the node it replaces (the call, or the property access), the field reference, the mapping.</summary>
    internal sealed class HandleFieldMemberUse
    {
        internal HandleFieldMemberUse(ExpressionSyntax node, ExpressionSyntax reference, HandleMemberMapping mapping)
        {
            Node = node;
            Reference = reference;
            Mapping = mapping;
        }

        internal ExpressionSyntax Node { get; }

        internal ExpressionSyntax Reference { get; }

        internal HandleMemberMapping Mapping { get; }

        internal HandleMemberKind Kind => Mapping.Kind;
    }

    /// <summary>
    /// <c>if (h.IsAllocated) { h.Free(); h = default; }</c> (no <c>else</c>): a guard whose body only releases or resets the
    /// field. A fix that removes the releases or makes them null-safe can drop the guard.
    /// </summary>
    internal sealed class HandleFieldGuard
    {
        internal HandleFieldGuard(IfStatementSyntax statement, HandleFieldMemberUse condition, IReadOnlyList<StatementSyntax> body, IReadOnlyList<HandleFieldMemberUse> releases, IReadOnlyList<AssignmentExpressionSyntax> resets)
        {
            Statement = statement;
            Condition = condition;
            Body = body;
            Releases = releases;
            Resets = resets;
        }

        internal IfStatementSyntax Statement { get; }

        /// <summary>The <c>IsAllocated</c> read of the condition.</summary>
        internal HandleFieldMemberUse Condition { get; }

        /// <summary>The guarded statements, in order: each releases or resets the field.</summary>
        internal IReadOnlyList<StatementSyntax> Body { get; }

        internal IReadOnlyList<HandleFieldMemberUse> Releases { get; }

        internal IReadOnlyList<AssignmentExpressionSyntax> Resets { get; }

        /// <summary>The release that <paramref name="statement"/> of the body makes, or null for a reset.</summary>
        internal HandleFieldMemberUse? ReleaseIn(StatementSyntax statement)
            => Releases.FirstOrDefault(r => r.Node.Parent == statement);

        /// <summary>A comment inside the guard, which dropping the guard would lose.</summary>
        internal bool HasComments
            => Statement.WithoutLeadingTrivia().WithoutTrailingTrivia().DescendantTrivia()
                .Any(t => t.IsKind(SyntaxKind.SingleLineCommentTrivia) || t.IsKind(SyntaxKind.MultiLineCommentTrivia));
    }

    /// <summary>
    /// Every use of a pinned-handle field in its type, classified against the field's <see cref="HandleKind"/>: the pins
    /// stored into it, resets to <c>default</c>, uses of the members the kind's table maps, and the <c>IsAllocated</c>
    /// guards around releases. The field-conversion fixes (Pinned Object Heap, lease conversion) share it; each decides
    /// what it does with the classes. <see cref="Classify"/> returns null when any use is of another kind — the field
    /// passed on, copied, read from another instance, a member outside the table — because then no rewrite of the
    /// field alone is correct.
    /// </summary>
    internal sealed class HandleFieldUses
    {
        private HandleFieldUses(HandleKind kind, IFieldSymbol field, VariableDeclaratorSyntax declarator, FieldDeclarationSyntax declaration, TypeDeclarationSyntax typeDeclaration)
        {
            Kind = kind;
            Field = field;
            Declarator = declarator;
            Declaration = declaration;
            TypeDeclaration = typeDeclaration;
        }

        internal HandleKind Kind { get; }

        internal IFieldSymbol Field { get; }

        internal VariableDeclaratorSyntax Declarator { get; }

        internal FieldDeclarationSyntax Declaration { get; }

        /// <summary>The type's only declaration, in the document being fixed.</summary>
        internal TypeDeclarationSyntax TypeDeclaration { get; }

        /// <summary>Every <c>_f = pin</c> of the kind's pin sites, in source order.</summary>
        internal List<HandleFieldPin> Pins { get; } = new();

        /// <summary><c>_f = default</c> (or <c>new GCHandle()</c>) assignments.</summary>
        internal List<AssignmentExpressionSyntax> Resets { get; } = new();

        internal List<HandleFieldMemberUse> Members { get; } = new();

        /// <summary>Guards whose body only releases or resets the field (their uses stay in <see cref="Members"/> and <see cref="Resets"/>).</summary>
        internal List<HandleFieldGuard> Guards { get; } = new();

        internal IEnumerable<HandleFieldMemberUse> MembersOf(HandleMemberKind kind) => Members.Where(m => m.Kind == kind);

        /// <summary>
        /// Classifies the uses of <paramref name="field"/>: a private, non-constant field of <paramref name="kind"/>'s handle
        /// type without attributes (<c>[ThreadStatic]</c>, <c>[FieldOffset]</c> change what the field means), declared once,
        /// in a type declared once in <paramref name="tree"/>. Null when it is not such a field or a use falls outside the table.
        /// </summary>
        internal static HandleFieldUses? Classify(SemanticModel model, PinApis apis, HandleKind kind, IFieldSymbol field, SyntaxTree tree, CancellationToken cancellationToken)
        {
            if (field.DeclaredAccessibility != Accessibility.Private
                || field.IsConst
                || !kind.IsHandleType(apis, field.Type)
                || field.DeclaringSyntaxReferences.Length != 1
                || field.DeclaringSyntaxReferences[0].GetSyntax(cancellationToken) is not VariableDeclaratorSyntax { Parent: VariableDeclarationSyntax { Parent: FieldDeclarationSyntax declaration } } declarator
                || declaration.AttributeLists.Count > 0)
            {
                return null;
            }

            var type = field.ContainingType;
            if (type.DeclaringSyntaxReferences.Length != 1
                || type.DeclaringSyntaxReferences[0].GetSyntax(cancellationToken) is not TypeDeclarationSyntax typeDeclaration
                || typeDeclaration.SyntaxTree != tree)
            {
                return null;
            }

            var uses = new HandleFieldUses(kind, field, declarator, declaration, typeDeclaration);
            return new Classifier(model, apis, uses, cancellationToken).Run() ? uses : null;
        }

        /// <summary>The field of this object (or a static field) that <paramref name="expression"/> names: <c>_f</c> or <c>this._f</c>.</summary>
        internal static IFieldSymbol? FieldNamedBy(SemanticModel model, ExpressionSyntax expression, CancellationToken cancellationToken)
            => expression is IdentifierNameSyntax or MemberAccessExpressionSyntax { Expression: ThisExpressionSyntax, Name: IdentifierNameSyntax }
                ? model.GetSymbolInfo(expression, cancellationToken).Symbol as IFieldSymbol
                : null;

        /// <summary><c>default</c>, <c>default(T)</c> or <c>new GCHandle()</c>: the field holds no handle.</summary>
        internal static bool IsReset(ExpressionSyntax expression)
            => expression is LiteralExpressionSyntax { RawKind: (int)SyntaxKind.DefaultLiteralExpression }
                or DefaultExpressionSyntax
                or BaseObjectCreationExpressionSyntax { ArgumentList.Arguments.Count: 0, Initializer: null }
                or BaseObjectCreationExpressionSyntax { ArgumentList: null, Initializer: null };

        /// <summary>True when <paramref name="reference"/> is written: assigned, passed by <c>ref</c>/<c>out</c>, deconstructed into, incremented.</summary>
        internal static bool IsWrite(ExpressionSyntax reference)
            => reference.Parent switch
            {
                AssignmentExpressionSyntax assignment => assignment.Left == reference,
                ArgumentSyntax argument => !argument.RefKindKeyword.IsKind(SyntaxKind.None) || argument.Parent is TupleExpressionSyntax,
                RefExpressionSyntax or PrefixUnaryExpressionSyntax { RawKind: not (int)SyntaxKind.LogicalNotExpression } or PostfixUnaryExpressionSyntax => true,
                _ => false,
            };

        /// <summary>The identifiers in <paramref name="scope"/> that bind to <paramref name="symbol"/>.</summary>
        internal static IEnumerable<IdentifierNameSyntax> References(SemanticModel model, SyntaxNode scope, ISymbol symbol, CancellationToken cancellationToken)
        {
            var name = symbol.Name;
            foreach (var identifier in scope.DescendantNodes().OfType<IdentifierNameSyntax>())
            {
                if (identifier.Identifier.ValueText == name
                    && model.GetSymbolInfo(identifier, cancellationToken).Symbol is { } referenced
                    && SymbolEqualityComparer.Default.Equals(referenced.OriginalDefinition, symbol.OriginalDefinition))
                {
                    yield return identifier;
                }
            }
        }

        /// <summary>The <c>=&gt; expr;</c> body of a constructor, or of a method or local function returning void.</summary>
        internal static bool IsVoidBody(SemanticModel model, ArrowExpressionClauseSyntax arrow, CancellationToken cancellationToken)
            => arrow.Parent switch
            {
                ConstructorDeclarationSyntax => true,
                MethodDeclarationSyntax or LocalFunctionStatementSyntax => model.GetDeclaredSymbol(arrow.Parent, cancellationToken) is IMethodSymbol { ReturnsVoid: true },
                _ => false,
            };

        /// <summary>Where a statement-level or expression-bodied assignment sits.</summary>
        internal static (SyntaxNode Holder, PinStorePlacement Placement) PlacementOf(SemanticModel model, AssignmentExpressionSyntax assignment, CancellationToken cancellationToken)
            => assignment.Parent switch
            {
                ExpressionStatementSyntax statement when statement.Parent is BlockSyntax or SwitchSectionSyntax => (statement, PinStorePlacement.InList),
                ExpressionStatementSyntax statement when IsEmbedded(statement) => (statement, PinStorePlacement.Embedded),
                ArrowExpressionClauseSyntax arrow when IsVoidBody(model, arrow, cancellationToken) => (arrow.Parent!, PinStorePlacement.ArrowBody),
                _ => (assignment, PinStorePlacement.Other),
            };

        internal static bool IsEmbedded(StatementSyntax statement)
            => statement.Parent switch
            {
                IfStatementSyntax or ElseClauseSyntax or WhileStatementSyntax or DoStatementSyntax or ForStatementSyntax
                    or CommonForEachStatementSyntax or UsingStatementSyntax or LockStatementSyntax or FixedStatementSyntax => true,
                _ => false,
            };

        private sealed class Classifier
        {
            private readonly SemanticModel _model;
            private readonly PinApis _apis;
            private readonly HandleFieldUses _uses;
            private readonly CancellationToken _cancellationToken;

            internal Classifier(SemanticModel model, PinApis apis, HandleFieldUses uses, CancellationToken cancellationToken)
            {
                _model = model;
                _apis = apis;
                _uses = uses;
                _cancellationToken = cancellationToken;
            }

            internal bool Run()
            {
                foreach (var identifier in References(_model, _uses.TypeDeclaration, _uses.Field, _cancellationToken))
                {
                    if (!PinFixes.IsTrivialReceiver(identifier) || !Classify(PinFixes.ReferenceExpression(identifier)))
                    {
                        return false;
                    }
                }

                // A use inside a pin's assignment (`_h = GCHandle.Alloc(_h.Target, ...)`) would be edited twice.
                var pins = _uses.Pins.Select(p => p.Assignment).ToList();
                if (_uses.Members.Any(u => u.Node.Ancestors().Any(a => a is AssignmentExpressionSyntax assignment && pins.Contains(assignment)))
                    || _uses.Resets.Any(r => r.Ancestors().Any(a => a is AssignmentExpressionSyntax assignment && pins.Contains(assignment))))
                {
                    return false;
                }

                FindGuards();
                return true;
            }

            private bool Classify(ExpressionSyntax reference)
            {
                switch (reference.Parent)
                {
                    case AssignmentExpressionSyntax assignment when assignment.Left == reference:
                        if (!assignment.IsKind(SyntaxKind.SimpleAssignmentExpression))
                        {
                            return false;
                        }

                        if (IsReset(assignment.Right))
                        {
                            _uses.Resets.Add(assignment);
                            return true;
                        }

                        if (PinOf(assignment) is { } pin)
                        {
                            _uses.Pins.Add(pin);
                            return true;
                        }

                        return false;

                    case MemberAccessExpressionSyntax access when access.Expression == reference && access.IsKind(SyntaxKind.SimpleMemberAccessExpression):
                        var name = access.Name.Identifier.ValueText;
                        var isCall = access.Parent is InvocationExpressionSyntax { ArgumentList.Arguments.Count: 0 } call && call.Expression == access;
                        if (_uses.Kind.Find(name, isCall) is not { } mapping
                            || (!isCall && IsWrite(access))
                            || !IsHandleMember(access))
                        {
                            return false;
                        }

                        _uses.Members.Add(new HandleFieldMemberUse(isCall ? (ExpressionSyntax)access.Parent! : access, reference, mapping));
                        return true;

                    default:
                        return false;
                }
            }

            /// <summary><c>_f = pin</c> with a pin site of the field's kind on the right.</summary>
            private HandleFieldPin? PinOf(AssignmentExpressionSyntax assignment)
            {
                var right = assignment.Right;
                while (right is ParenthesizedExpressionSyntax parenthesized)
                {
                    right = parenthesized.Expression;
                }

                if (right is not (InvocationExpressionSyntax or BaseObjectCreationExpressionSyntax)
                    || _model.GetOperation(right, _cancellationToken) is not { } operation
                    || HandlePinSites.Find(operation, _apis) is not { } site
                    || site.Kind != _uses.Kind.PinKind)
                {
                    return null;
                }

                var (holder, placement) = PlacementOf(_model, assignment, _cancellationToken);
                return new HandleFieldPin(assignment, site, holder, placement);
            }

            /// <summary>The member is the handle's own (or a <c>GCHandleExtensions</c> method), not a user extension of the same name.</summary>
            private bool IsHandleMember(MemberAccessExpressionSyntax access)
            {
                var symbol = _model.GetSymbolInfo(access, _cancellationToken).Symbol;
                var owner = symbol?.ContainingType?.OriginalDefinition;
                return owner is not null
                    && (SymbolEqualityComparer.Default.Equals(owner, _uses.Field.Type.OriginalDefinition)
                        || SymbolEqualityComparer.Default.Equals(owner, _apis.GCHandleExtensions));
            }

            /// <summary><c>if (h.IsAllocated) ...</c> with no <c>else</c>, whose body is only releases and resets of the field.</summary>
            private void FindGuards()
            {
                foreach (var condition in _uses.MembersOf(HandleMemberKind.IsPinned).ToList())
                {
                    if (condition.Node.Parent is not IfStatementSyntax { Else: null } guard || guard.Condition != condition.Node)
                    {
                        continue;
                    }

                    var body = guard.Statement is BlockSyntax block ? block.Statements.ToList() : new List<StatementSyntax> { guard.Statement };
                    var releases = new List<HandleFieldMemberUse>();
                    var resets = new List<AssignmentExpressionSyntax>();
                    foreach (var statement in body)
                    {
                        if (statement is ExpressionStatementSyntax { Expression: AssignmentExpressionSyntax reset } && _uses.Resets.Contains(reset))
                        {
                            resets.Add(reset);
                        }
                        else if (statement is ExpressionStatementSyntax { Expression: var expression }
                            && _uses.Members.FirstOrDefault(m => m.Node == expression && m.Kind == HandleMemberKind.Release) is { } release)
                        {
                            releases.Add(release);
                        }
                        else
                        {
                            releases = null;
                            break;
                        }
                    }

                    if (releases is not null && body.Count > 0)
                    {
                        _uses.Guards.Add(new HandleFieldGuard(guard, condition, body, releases, resets));
                    }
                }
            }
        }
    }
}

"""A compact CSDL `$metadata` document for each API root, from the entity definitions: entity types
with their property types, enum types with BC's escaped member names, navigation, bound actions."""

from __future__ import annotations

from functools import cache
from xml.sax.saxutils import quoteattr

from local.bc_sim.schema import SETS_BY_API, EntitySet, Field, T

EDM = {
    T.STRING: "Edm.String",
    T.GUID: "Edm.Guid",
    T.DATE: "Edm.Date",
    T.DATETIME: "Edm.DateTimeOffset",
    T.DECIMAL: "Edm.Decimal",
    T.INT: "Edm.Int32",
    T.BOOL: "Edm.Boolean",
}


def _type(es: EntitySet, f: Field) -> str:
    return f"Microsoft.NAV.{es.entity}_{f.name}" if f.type == T.ENUM else EDM[f.type]


@cache
def csdl(api: str) -> str:
    sets = [es for es in SETS_BY_API[api].values()]
    out = [
        '<?xml version="1.0" encoding="utf-8"?>',
        '<edmx:Edmx Version="4.0" xmlns:edmx="http://docs.oasis-open.org/odata/ns/edmx">',
        '<edmx:DataServices><Schema Namespace="Microsoft.NAV" xmlns="http://docs.oasis-open.org/odata/ns/edm">',
    ]
    for es in sets:
        for f in es.fields:
            if f.type == T.ENUM:
                members = "".join(f'<Member Name={quoteattr(v)} Value="{i}"/>' for i, v in enumerate(f.enum))
                out.append(f'<EnumType Name="{es.entity}_{f.name}">{members}</EnumType>')
        props = "".join(
            f'<Property Name="{f.name}" Type="{_type(es, f)}"'
            + (f' MaxLength="{f.max_length}"' if f.max_length else "")
            + ("" if f.name != es.key else ' Nullable="false"')
            + "/>"
            for f in es.fields
        )
        navs = "".join(
            f'<NavigationProperty Name="{n.name}" Type="'
            + (f'Collection(Microsoft.NAV.{target})"' if n.kind == "children" else f'Microsoft.NAV.{target}"')
            + "/>"
            for n in es.nav
            for target in [SETS_BY_API[api].get(n.target, es).entity]
        )
        key = f'<Key><PropertyRef Name="{es.key}"/></Key>'
        out.append(f'<EntityType Name="{es.entity}">{key}{props}{navs}</EntityType>')
        for action in es.actions:
            out.append(
                f'<Action Name="{action}" IsBound="true"><Parameter Name="bindingParameter"'
                f' Type="Microsoft.NAV.{es.entity}"/></Action>'
            )
    out.append('<EntityContainer Name="NAV">')
    out.extend(f'<EntitySet Name="{es.name}" EntityType="Microsoft.NAV.{es.entity}"/>' for es in sets)
    out.append("</EntityContainer></Schema></edmx:DataServices></edmx:Edmx>")
    return "".join(out)
